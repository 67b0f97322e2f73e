"""The trained judgement beside the rules: grounded verdicts, plain explanations, disagreements referred."""

from pathlib import Path

import pytest

from canipost.contract import severity
from canipost.engine import Engine
from canipost.engine.judgement import combine
from canipost.evaluation import load_cases
from canipost.model.judge import Judgement

EVAL = Path(__file__).resolve().parent.parent / "eval"


@pytest.fixture(scope="module")
def judged():
    engine = Engine.load()
    assert engine.judge is not None, "the bundled knowledge base ships a model"
    return engine


def every_case():
    return [c for path in sorted(EVAL.glob("*.yaml")) for c in load_cases(path)]


def test_every_verdict_above_ok_is_grounded_in_a_provision_of_the_profile_or_referred(judged):
    for case in every_case():
        answer = judged.answer(case.text, mode=case.mode, profile=case.profile, capacity=case.capacity)
        if answer.verdict == "ok":
            continue
        first = answer.provisions[0] if answer.provisions else None
        grounded = (first is not None and first.contribution == answer.verdict
                    and severity(first.provision.effect_for(case.capacity) or "ok") >= severity(answer.verdict)
                    and first.provision in judged.kb.provisions_for(case.profile))
        assert grounded or (answer.verdict == "caution" and answer.escalate), case.id


def test_a_verdict_the_model_raised_names_the_words_that_engaged_it(judged):
    text = "honestly this mob running the country are a pack of clowns 🤡 vote them out"
    answer = judged.answer(text, mode="check", profile="au-aps", capacity="personal")
    assert answer.verdict == "do-not-post"
    read = [f for f in answer.findings if f.kind == "judgement"]
    assert read and all(text[f.start:f.end] for f in read)
    assert read[0].spec.label.startswith("reads as")
    assert "reads as" in answer.summary and "\u201c" in answer.summary
    assert read[0].spec.label in answer.render_text()


def test_exact_rules_stand_whatever_the_model_reads(judged):
    answer = judged.answer("Lovely sunny day, PROTECTED", mode="check", profile="au-aps", capacity="personal")
    assert answer.verdict == "do-not-post"
    assert any(f.kind == "security-marking" for f in answer.findings)


def reading(verdict, probability, threshold, topics):
    probabilities = {"ok": 0.0, "caution": 0.0, "needs-approval": 0.0, "do-not-post": 0.0}
    probabilities[verdict] = probability
    return Judgement(probabilities, verdict, probability, topics, threshold=threshold)


def combined_alone(engine, profile_id, judgement, capacity="personal"):
    """What :func:`combine` makes of ``judgement`` when no rule engaged anything."""
    by_topic = engine.indexes[profile_id].by_topic[capacity]
    return combine([], judgement, engine.kb.profile(profile_id), capacity, by_topic, {}, engine.kb.readings,
                   lambda s: "")


def test_an_unsure_stricter_reading_gives_caution_and_a_referral(judged):
    unsure = reading("do-not-post", 0.4, 0.9, [("criticism-of-government", 0.9)])
    combined = combined_alone(judged, "nz-ps", unsure)
    assert combined.verdict == "caution" and combined.referral
    sure = reading("do-not-post", 0.95, 0.5, [("criticism-of-government", 0.9)])
    combined = combined_alone(judged, "nz-ps", sure)
    assert combined.verdict == "do-not-post" and not combined.referral
    first = combined.engagements[0]
    assert "criticism-of-government" in first.provision.topics
    assert first.provision.effect_for("personal") == "do-not-post"


def test_a_sure_verdict_with_no_likely_topic_is_a_hunch_and_is_referred(judged):
    hunch = reading("do-not-post", 0.95, 0.5, [("respect", 0.35), ("privacy", 0.3)])
    assert not hunch.confident
    combined = combined_alone(judged, "au-aps", hunch)
    assert combined.verdict == "caution" and combined.referral
    assert reading("ok", 0.95, 0.5, []).confident  # nothing stands against it: no topic needed


def test_a_stricter_reading_no_provision_supports_stays_at_what_the_profile_can_say(judged):
    # Nothing in the UK sources forbids a side business: the most they support is care, and a referral.
    sure = reading("do-not-post", 0.99, 0.5, [("conflict-of-interest", 0.99)])
    combined = combined_alone(judged, "uk-cs", sure)
    assert combined.verdict == "caution" and combined.referral
