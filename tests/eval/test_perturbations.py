"""Answers hold when a post is written differently: a clear breach stays a breach when it is reworded,
misspelt, quoted or decorated with emoji; a benign post stays benign when a political word appears in
it innocently. Run on every labelled set the project builds with (the blind set stays for measuring)."""

import re
from pathlib import Path

import pytest

from canipost.engine import Engine
from canipost.evaluation import load_cases

HERE = Path(__file__).resolve().parent
BUILDING = ("dev.yaml", "cases.yaml", "holdout.yaml", "final.yaml", "validation.yaml")
INNOCENT = ("Christmas party was a blast too 🎄", "with a liberal pinch of salt", "labour of love, this one",
            "conservative estimate: three hours", "the greens at the club were lightning fast",
            "the cabinet doors are still crooked lol", "vote for my sourdough in the bake-off!")


def misspelt(text: str) -> str:
    """Two long words with two letters swapped, as a hurried thumb types."""
    words = text.split(" ")
    changed = 0
    for i, word in enumerate(words):
        if len(word) >= 6 and word.isalpha() and changed < 2:
            words[i] = word[:2] + word[3] + word[2] + word[4:]
            changed += 1
    return " ".join(words)


def reworded(text: str) -> str:
    """The same post typed casually: lower case, contractions squashed, a filler in front."""
    text = text.lower()
    for long, short in (("i am ", "im "), ("do not ", "dont "), ("don't ", "dont "), ("cannot ", "cant "),
                        ("can't ", "cant "), ("it is ", "its "), ("it's ", "its ")):
        text = text.replace(long, short)
    return "ngl " + re.sub(r"[,;]", "", text)


PERTURBATIONS = {
    "reworded": reworded,
    "misspelt": misspelt,
    "quoted": lambda text: f"RT \u201c{text}\u201d",
    "emoji": lambda text: f"{text} 😂🔥👀",
}


@pytest.fixture(scope="module")
def engine():
    return Engine.load()


def cases(kind: tuple[str, ...]):
    return [c for name in BUILDING for c in load_cases(HERE / name) if c.verdicts == kind]


def answer(engine, case, text):
    return engine.answer(text, mode=case.mode, profile=case.profile, capacity=case.capacity).verdict


@pytest.mark.parametrize("name", sorted(PERTURBATIONS))
def test_a_clear_breach_stays_a_breach_however_it_is_written(engine, name):
    perturb = PERTURBATIONS[name]
    tried, lost = 0, []
    for case in cases(("do-not-post",)):
        if answer(engine, case, case.text) != "do-not-post":
            continue  # a miss is the measured sets' business, not this test's
        tried += 1
        if answer(engine, case, perturb(case.text)) != "do-not-post":
            lost.append(case.id)
    assert tried >= 100
    assert not lost, f"{name}: {len(lost)} of {tried} breaches no longer do-not-post: {lost}"


def test_a_benign_post_stays_benign_with_a_political_word_used_innocently(engine):
    tried, flagged = 0, []
    for n, case in enumerate(cases(("ok",))):
        if case.mode != "check" or answer(engine, case, case.text) != "ok":
            continue
        tried += 1
        changed = f"{case.text} {INNOCENT[n % len(INNOCENT)]}"
        if answer(engine, case, changed) != "ok":
            flagged.append(case.id)
    assert tried >= 40
    assert not flagged, f"{len(flagged)} of {tried} benign posts flagged once a political word appeared: {flagged}"
