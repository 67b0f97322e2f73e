"""A knowledge base to teach: the mini knowledge base of tests/conftest.py with the labelled examples
of tests/model/test_train.py, the shipped lexicons, vocabulary, detectors and readings, and a small
stand-in embedding (a random vector for each character), so that it trains in a couple of seconds
on any machine, with or without the shipped embedding table.

The texts the rulings tests share: a case, a paraphrase of it, and an unrelated text.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from canipost.kb import bundled_knowledge_dir
from canipost.model.embedding import DIMENSIONS, StaticEmbedding
from canipost.model.tokenizer import SPACE
from canipost.model.weights import MODEL_DIR

from .conftest import MiniKB

# canipost says "caution" (the email is not covered by the mini knowledge base); an advisor rules do-not-post.
CASE = ("Can I post a sneak peek of the briefing slides my team finished today on my Instagram? "
        "Ask me at sam.lee@agency.gov.au")
PARAPHRASE = "is it ok to share a sneak peek of the briefing slides our team just finished on instagram"
UNRELATED = "Our netball team made the grand final again, so proud of these legends"


def teachable_kb(root: Path) -> MiniKB:
    from .model.test_train import EXAMPLES

    kb = MiniKB(root)
    kb.write("examples/ex-base/small.yaml", EXAMPLES)
    shipped = bundled_knowledge_dir()
    shutil.copytree(shipped / "lexicons", root / "lexicons")
    for name in ("vocabulary.yaml", "detectors.yaml", "readings.yaml"):
        shutil.copy(shipped / name, root / name)
    vocab = ["<unk>", *(f"<0x{b:02X}>" for b in range(256)), SPACE, *(chr(c) for c in range(33, 127))]
    table = np.random.default_rng(7).standard_normal((len(vocab), DIMENSIONS)).astype(np.float16)
    StaticEmbedding(vocab, np.zeros((0, 2), dtype=np.int32), table).save(root / MODEL_DIR)
    return kb
