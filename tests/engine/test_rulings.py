"""Consistency with the advisors: a text close to a ruled precedent gets the ruling's verdict, cites the
precedent and the provisions the advisor named; an unrelated text, another capacity, or a text holding
what the rules see for certain does not. The rules alone answer here (no trained model), so the figures
do not move when the model is retrained."""

from __future__ import annotations

import pytest

from canipost.engine import Engine
from canipost.engine.rulings import LOWER_CLOSE, RAISE_CLOSE

WHITEBOARD = "Can I share a photo of our team's whiteboard with next year's grant priorities on my LinkedIn?"
WHITEBOARD_PARAPHRASE = "is it ok to post a pic of the whiteboard showing next years grant priorities to linkedin"
SAME_TOPIC = "Can I share a photo of the grant guidelines our agency published last week on LinkedIn?"
UNRELATED = "Can I post a photo of my dog at the beach on my Instagram?"
RETWEET = "can i retweet my local MP's election campaign post from my own account"


@pytest.fixture
def rules(kb) -> Engine:
    return Engine(kb)


def precedent(question, verdict, *, capacity="personal", provisions=(), topics=("official-information",),
              mode="ask", ref="CP-00031"):
    return {"ref": ref, "date": "2024-05-01", "question": question, "answer": "The advisor's answer.",
            "profile": "au-aps", "ruling": {"verdict": verdict, "capacity": capacity, "mode": mode,
                                            "topics": list(topics), "provisions": list(provisions)}}


def test_close_means_a_paraphrase_and_not_a_text_on_the_same_topic(rules):
    rules.precedents.replace([precedent(WHITEBOARD, "do-not-post")])
    score = lambda text: max((s for _, s in rules.precedents.scored(text, "au-aps")), default=0.0)  # noqa: E731
    assert score(WHITEBOARD_PARAPHRASE) >= RAISE_CLOSE
    assert score(SAME_TOPIC) < 0.5 and score(UNRELATED) < 0.5
    assert rules.precedents.scored(WHITEBOARD_PARAPHRASE, "uk-cs") == [], "another profile's rulings do not count"


def test_a_paraphrase_follows_a_stricter_ruling_and_cites_it_and_the_named_provision(rules):
    assert rules.answer(WHITEBOARD_PARAPHRASE, mode="ask").verdict == "ok", "what the rules alone say"
    named = "au.aps-code.confidential-information"
    rules.precedents.replace([precedent(WHITEBOARD, "do-not-post", provisions=[named])])
    answer = rules.answer(WHITEBOARD_PARAPHRASE, mode="ask")
    assert answer.verdict == "do-not-post" and answer.matched
    first = answer.provisions[0]
    assert (first.provision.id, first.via, first.contribution) == (named, "ruling", "do-not-post")
    assert "an ethics advisor ruled on a similar question on 2024-05-01 (CP-00031)" in answer.summary
    data = answer.to_dict()
    assert data["precedents"][0]["followed"] and data["precedents"][0]["ruling"]["verdict"] == "do-not-post"
    assert "An ethics advisor ruled on a similar question on 2024-05-01 (CP-00031): DO NOT POST" in answer.render_text()


def test_without_named_provisions_the_ruling_is_grounded_on_its_topics(rules):
    rules.precedents.replace([precedent(WHITEBOARD, "do-not-post", topics=["official-information"])])
    answer = rules.answer(WHITEBOARD_PARAPHRASE, mode="ask")
    assert answer.verdict == "do-not-post"
    first = answer.provisions[0]
    assert first.via == "ruling" and "official-information" in first.provision.topics


def test_unrelated_texts_other_capacities_and_agreeing_rulings_change_nothing(rules):
    before = {text: rules.answer(text, mode="ask").verdict for text in (SAME_TOPIC, UNRELATED)}
    official = rules.answer(WHITEBOARD_PARAPHRASE, mode="ask", capacity="official")
    rules.precedents.replace([precedent(WHITEBOARD, "do-not-post")])
    for text, verdict in before.items():
        answer = rules.answer(text, mode="ask")
        assert answer.verdict == verdict and not any(p.followed for p in answer.precedents)
    as_official = rules.answer(WHITEBOARD_PARAPHRASE, mode="ask", capacity="official")
    assert (as_official.verdict, as_official.summary) == (official.verdict, official.summary), \
        "a ruling for personal posts says nothing of official ones"
    assert not as_official.precedents[0].followed
    rules.precedents.replace([precedent(WHITEBOARD, "ok", topics=())])
    agreeing = rules.answer(WHITEBOARD_PARAPHRASE, mode="ask")
    assert agreeing.verdict == "ok" and not agreeing.precedents[0].followed
    assert "An ethics advisor answered a similar question" in agreeing.render_text()


def test_a_more_lenient_ruling_needs_a_closer_text(rules):
    assert rules.answer(RETWEET, mode="ask").verdict == "caution"
    rules.precedents.replace([precedent(RETWEET, "ok", topics=["political-neutrality"])])
    scored = lambda text: rules.precedents.scored(text, "au-aps")[0][1]  # noqa: E731
    near = "can I retweet the local MP's election campaign post from my own twitter account"
    assert scored(near) >= LOWER_CLOSE
    lowered = rules.answer(near, mode="ask")
    assert lowered.verdict == "ok" and lowered.precedents[0].followed
    assert all(p.contribution == "ok" for p in lowered.provisions)
    looser = "during the election can I retweet campaign posts from candidates in my electorate"
    assert RAISE_CLOSE <= scored(looser) < LOWER_CLOSE
    kept = rules.answer(looser, mode="ask")
    assert kept.verdict == "caution" and not kept.precedents[0].followed


def test_a_ruling_never_lowers_what_the_rules_see_for_certain(rules):
    marked = "Can I post a photo of the PROTECTED briefing on Twitter?"
    assert rules.answer(marked, mode="ask").verdict == "do-not-post"
    rules.precedents.replace([precedent(marked, "ok", topics=())])
    answer = rules.answer(marked, mode="ask")
    assert answer.verdict == "do-not-post" and not answer.precedents[0].followed
    assert any("decide for certain" in note for note in answer.notes)
