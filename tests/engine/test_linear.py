"""Every path of the engine is linear in the text: an answer to a text of any awkward shape
(``shapes.py``) costs about eight times as much at eight times the length. Quadratic growth
would cost 64 times, cubic 512; the margin (24) leaves room for a noisy machine. Speed itself
is a benchmark's business (benchmarks/engine.py prints the worst shape at 40,000 characters)."""

from __future__ import annotations

import time

import pytest

from .shapes import SHAPES

SMALL, LARGE = 5_000, 40_000
MARGIN = 24


def cpu(engine, text: str, mode: str) -> float:
    started = time.process_time()
    engine.answer(text, mode=mode)
    return time.process_time() - started


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_cost_of_an_answer_grows_no_faster_than_the_text(engine, shape):
    make = SHAPES[shape]
    for mode in ("check", "ask"):
        small = min(cpu(engine, make(SMALL), mode) for _ in range(3))
        # Measured again only if it looks too slow: the least of a few is the least disturbed.
        large = cpu(engine, make(LARGE), mode)
        for _ in range(2):
            if large < MARGIN * max(small, 0.002):
                break
            large = min(large, cpu(engine, make(LARGE), mode))
        assert large < MARGIN * max(small, 0.002), (
            f"{shape} ({mode}): {small * 1000:.0f} ms at {SMALL:,} characters, {large * 1000:.0f} ms at {LARGE:,}")


def test_the_shapes_are_what_they_say(engine):
    for name, make in SHAPES.items():
        assert len(make(SMALL)) == SMALL and len(make(LARGE)) == LARGE, name
    # Invisible characters are taken out before anything reads the text, and the answer says so.
    answer = engine.answer(SHAPES["bidi controls"](200), mode="check")
    assert "\u202e" not in answer.text and any("control character" in note for note in answer.notes)
    assert "PROTECTED" in engine.answer("PRO\u200bTECT\u202eED budget", mode="check").to_dict()["findings"][0]["text"]
