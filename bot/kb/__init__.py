"""The knowledge base: provisions quoted from their sources, profiles, detectors, vocabulary."""

from .detectors import DetectorSpec, Vocabulary
from .loader import KnowledgeBase, bundled_knowledge_dir, fold_text, load_knowledge
from .schema import Contact, Override, Period, Profile, Provision, Source, Trigger

__all__ = [
    "Contact", "DetectorSpec", "KnowledgeBase", "Override", "Period", "Profile", "Provision", "Source",
    "Trigger", "Vocabulary", "bundled_knowledge_dir", "fold_text", "load_knowledge",
]
