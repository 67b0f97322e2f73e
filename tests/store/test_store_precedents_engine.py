"""Precedents join what the engine searches: a later, similar question shows the advisor's answer."""

from __future__ import annotations

from canipost.engine import Engine

from .store_helpers import ADVISOR, ASKER

QUESTION = "Can I post a photo of my team at the Christmas party on my personal Instagram?"


def test_a_similar_question_shows_the_advisors_answer(store, clock):
    engine = Engine.load()
    first = engine.answer(QUESTION, mode="ask")
    case = store.escalations.create(asker=ASKER, text=QUESTION, answer=first.to_dict(), mode="ask")
    clock.advance(days=3)
    store.escalations.resolve(case.ref, ADVISOR, "Yes, if everyone in the photo agrees.", precedent=True)

    engine.precedents.replace(store.precedents.list())
    later = engine.answer("Can I post a photo of my team from the Christmas party on Instagram?", mode="ask")
    assert [(p.ref, p.date, p.answer) for p in later.precedents] == [
        (case.ref, "2024-03-04", "Yes, if everyone in the photo agrees.")]
    assert "answered a similar question on 2024-03-04" in later.render_text()
    unrelated = engine.answer("Should I tell my manager before I speak at a conference?", mode="ask")
    assert unrelated.precedents == []
