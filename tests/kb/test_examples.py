"""The labelled corpus: checked like the provisions, broad, balanced, and apart from every evaluation set."""

import re
from collections import Counter
from pathlib import Path

import pytest

from canipost.contract import CAPACITIES
from canipost.errors import KnowledgeErrors
from canipost.evaluation import load_cases
from canipost.kb.examples import near_duplicates

HERE = Path(__file__).resolve().parent
EVAL = HERE.parent / "eval"
SHARED_DEV = HERE.parent.parent.parent / "shared" / "eval" / "dev.yaml"
FRENCH = re.compile(r"\b(?:le|la|les|des|est|pas|une|que|mon|notre|je|nous|avec|pour)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def examples(kb):
    return kb.examples()


def test_the_corpus_is_large_and_written_for_every_profile_and_capacity(kb, examples):
    assert len(examples) >= 4000
    cells = Counter((e.profile, e.capacity) for e in examples)
    for profile in kb.profiles:
        for capacity in CAPACITIES:
            assert cells[(profile, capacity)] >= 150, (profile, capacity)


def test_every_topic_a_profile_covers_has_examples_in_each_capacity_it_binds(kb, examples):
    counts = Counter((e.profile, e.capacity, t) for e in examples for t in e.topics)
    thin = [(profile, capacity, topic)
            for profile in kb.profiles for capacity in CAPACITIES
            for topic in {t for p in kb.provisions_for(profile) if p.applies_to(capacity) for t in p.topics}
            if counts[(profile, capacity, topic)] < 3]
    assert not thin, thin


def test_hard_negatives_are_at_least_a_quarter_and_every_verdict_is_well_represented(examples):
    assert sum(e.hard_negative for e in examples) >= len(examples) / 4
    verdicts = Counter(e.verdict for e in examples)
    assert all(verdicts[v] >= len(examples) / 12 for v in ("ok", "caution", "needs-approval", "do-not-post"))


def test_canadian_examples_are_written_in_french_too(examples):
    french = [e for e in examples if e.profile == "ca-fps" and len(FRENCH.findall(e.text)) >= 2]
    assert len(french) >= 250


def test_no_example_nearly_repeats_an_evaluation_case(examples):
    sets = sorted(EVAL.glob("*.yaml")) + ([SHARED_DEV] if SHARED_DEV.exists() else [])
    assert any(p.name == "blind.yaml" for p in sets)
    cases = [c for path in sets for c in load_cases(path)]
    pairs = near_duplicates([e.text for e in examples], [c.text for c in cases])
    assert not pairs, [(examples[i].id, cases[j].id, round(score)) for i, j, score in pairs[:10]]


def test_the_check_rejects_near_duplicates_and_templates():
    texts = ["Vote Labour on Saturday everyone, it matters",
             "Vote Greens on Saturday everyone, it matters",
             "lol the minister has no clue about housing 🙄",
             "Finished the garden beds this arvo, tomatoes and basil in"]
    assert [(i, j) for i, j, _ in near_duplicates(texts)] == [(0, 1)]


def test_a_broken_example_is_reported_by_file_line_and_field(mini_kb):
    mini_kb.write("examples/ex-base/bad.yaml", """\
        examples:
          - id: ok-one
            profile: ex-base
            as: personal
            mode: check
            text: "Sunday roast with the family"
            verdict: ok
          - id: bad-two
            profile: ex-base
            as: personally
            mode: check
            text: "Sneak peek at the protected brief"
            verdict: do-not-post
            topics: [official-informaton]
            provision: ex.policy.nothing
          - id: ok-one
            profile: ex-base
            as: personal
            mode: ask
            text: "Can I add my manager on Facebook?"
            verdict: ok
        """)
    from canipost.kb import load_knowledge

    with pytest.raises(KnowledgeErrors) as caught:
        load_knowledge(mini_kb.root).examples()
    messages = "\n".join(str(e) for e in caught.value.errors)
    name = "examples/ex-base/bad.yaml"
    assert re.search(rf"{re.escape(name)}:10: bad-two\.as: unknown as 'personally'", messages), messages
    assert re.search(rf"{re.escape(name)}:14: bad-two\.topics\[0\]: unknown topic 'official-informaton' "
                     r"\(did you mean 'official-information'\?\)", messages), messages
    assert re.search(rf"{re.escape(name)}:15: bad-two\.provision: no provision 'ex\.policy\.nothing'", messages)
    assert re.search(rf"{re.escape(name)}:16: id: duplicate id 'ok-one'", messages), messages
