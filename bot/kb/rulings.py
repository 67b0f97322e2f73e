"""The agency's own examples: the advisors' rulings they agreed to learn from, in the corpus's format.

They are kept apart from the shipped corpus (``knowledge/examples/``), in the rulings directory
(``CANIPOST_RULINGS``; by default ``rulings`` beside ``CANIPOST_KNOWLEDGE``, else in the data
directory), one file a profile, ``<profile>/rulings.yaml``, each entry a labelled example::

    - id: ruling-cp-00012                 # from the case's reference
      profile: au-aps
      as: personal                        # the capacity the advisor ruled for
      mode: check
      text: "[name removed] ..."          # de-identified, or the advisor's own wording
      verdict: do-not-post                # the advisor's ruling
      topics: [official-information]
      provision: au.aps-code.confidential-information   # the first provision they named, if any
      group: ruling-cp-00012
      source: ruling CP-00012, 2024-05-01

The escalations database is the record: :func:`write_rulings` writes the directory whole from it
(a ruling whose case was reopened, or whose consent was withdrawn, is gone from it at the next
write), and :func:`load_rulings` reads it back with the corpus's own checks, each problem named by
file and line. ``canipost kb train --with-rulings`` trains on the corpus and these together;
``canipost eval --rulings`` scores a model on them.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable

import yaml

from ..errors import InputError, KnowledgeErrors
from ..evaluation import Case
from .examples import Example, load_examples
from .loader import KnowledgeBase

FILE = "rulings.yaml"
HEADER = ("# The agency's rulings, written by canipost from the escalations database: edits here are\n"
          "# overwritten. To change one, reopen and resolve its case, or withdraw its consent\n"
          "# (canipost escalations consent REF --no).\n")


def check_ruling(kb: KnowledgeBase, profile: str, ruling):
    """``ruling`` (a :class:`canipost.store.Ruling`) checked, with the provisions it names in force in
    ``profile``; :class:`InputError` saying what is wrong otherwise."""
    ruling = ruling.checked()
    in_force = {p.id for p in kb.provisions_for(profile)}
    unknown = [p for p in ruling.provisions if p not in in_force]
    if unknown:
        raise InputError(f"no provision {unknown[0]!r} in profile {profile} (canipost kb list --profile {profile})")
    return ruling


def example_id(ref: str) -> str:
    return f"ruling-{ref.lower()}"


def example_of(ruling: dict[str, Any], kb: KnowledgeBase) -> dict[str, Any]:
    """One ruling (as :meth:`canipost.store.Rulings.for_training` gives it) as a labelled example."""
    example: dict[str, Any] = {
        "id": example_id(ruling["ref"]), "profile": ruling["profile"], "as": ruling["capacity"],
        "mode": ruling["mode"], "text": ruling["example_text"], "verdict": ruling["verdict"],
        "topics": list(ruling["topics"]),
    }
    in_force = {p.id for p in kb.provisions_for(ruling["profile"])}
    named = [p for p in ruling["provisions"] if p in in_force]
    if named:
        example["provision"] = named[0]
    example["group"] = example_id(ruling["ref"])
    example["source"] = f"ruling {ruling['ref']}, {ruling['ruled_at'][:10]}"
    return example


def write_rulings(directory: Path, rulings: Iterable[dict[str, Any]], kb: KnowledgeBase) -> tuple[int, list[str]]:
    """Write the agency's examples to ``directory`` whole: one file a profile, each replaced only once
    complete; a profile with none left loses its file. Returns how many were written, and the
    references of rulings left out because their profile is not in ``kb``."""
    by_profile: dict[str, list[dict]] = {}
    skipped = []
    for ruling in rulings:
        if ruling["profile"] not in kb.profiles:
            skipped.append(ruling["ref"])
            continue
        by_profile.setdefault(ruling["profile"], []).append(example_of(ruling, kb))
    for stale in directory.glob(f"*/{FILE}") if directory.exists() else ():
        if stale.parent.name not in by_profile:
            stale.unlink()
    for profile, examples in by_profile.items():
        text = HEADER + yaml.safe_dump({"examples": examples}, sort_keys=False, allow_unicode=True, width=1000)
        _replace(directory / profile / FILE, text)
    return sum(len(e) for e in by_profile.values()), skipped


def _replace(path: Path, text: str) -> None:
    """Write ``path`` beside itself, then rename over it: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def load_rulings(directory: Path, kb: KnowledgeBase) -> list[Example]:
    """The agency's examples in ``directory`` (none when it does not exist), checked as the corpus
    is; :class:`KnowledgeErrors` naming file and line otherwise."""
    if not directory.is_dir():
        return []
    examples, errors = load_examples(directory, kb.profiles, lambda pid: [p.id for p in kb.provisions_for(pid)])
    if errors:
        raise KnowledgeErrors(errors)
    return examples


def as_cases(examples: Iterable[Example]) -> list[Case]:
    """The agency's examples as labelled cases, to score a model on (``canipost eval --rulings``)."""
    return [Case(e.id, e.mode, e.profile, e.capacity, e.text, (e.verdict,), e.topics) for e in examples]
