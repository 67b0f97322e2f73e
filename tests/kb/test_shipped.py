"""The bundled knowledge base: valid, quoted word for word, and covering what its sources say."""

import filecmp

import pytest

from canipost.contract import CAPACITIES, TOPICS, severity
from canipost.kb import fold_text
from tests.conftest import SHARED

PROFILES = ["au-aps", "au-treasury", "nz-ps", "uk-cs", "ca-fps"]

# Topics a profile's own sources do not speak to, so no provision there can carry them. A draft
# that touches one gets "caution" and the advice to ask the contact (tests/engine), never "ok".
NOT_IN_SOURCES: dict[str, set[str]] = {
    "au-aps": {"records"},
    "au-treasury": set(),
    "nz-ps": {"conflict-of-interest", "intellectual-property", "security", "wellbeing", "whistleblowing"},
    "uk-cs": {"conflict-of-interest", "endorsement", "intellectual-property", "resources", "security", "wellbeing",
              "whistleblowing"},
    "ca-fps": {"anonymity", "conflict-of-interest", "intellectual-property", "permanence", "records", "seniority",
               "tone", "wellbeing"},
}

# Reviewed: the profile covers the finding's topic, but its sources say less than the detector
# would: the provision decides, so the verdict is milder than the detector's ceiling.
MILDER_BY_SOURCE = {
    ("uk-cs", "questionable-accounts", "official"),  # UK sources speak of accuracy (caution), not endorsement
    ("ca-fps", "factual-claim", "official"),  # Canada's only accuracy provision is encouragement
    ("ca-fps", "misinformation", "official"),  # likewise
    ("au-aps", "work-email", "personal"),  # only the Treasury policy forbids a work email for personal use
    ("nz-ps", "work-email", "personal"),
    ("uk-cs", "work-email", "personal"),
    ("au-aps", "disclaimer-question", "official"),  # the APS texts on identifying yourself are reminders
    ("au-aps", "unofficial-account-link", "official"),  # only Canada's policy says where official icons link
    ("au-treasury", "unofficial-account-link", "official"),
    ("nz-ps", "unofficial-account-link", "official"),
    ("uk-cs", "unofficial-account-link", "official"),
}


def test_the_shipped_knowledge_base_validates(cli):
    result = cli("kb", "validate")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("valid:")
    assert "warning" not in result.stdout


def test_it_holds_every_source_and_a_careful_readers_count_of_provisions(kb):
    # One provision per rule a careful reader finds; the NZ and Treasury texts are itemised finely.
    assert 80 <= len(kb.provisions) <= 200
    seeds = {s.seed for s in kb.sources.values()}
    assert seeds == {"000_e4d03e744d526c4c.txt", "001_2bc34a782b8c3b7c.txt", "002_48cb11adf9a6f4a4.txt",
                     "003_0e8e074fd7a8b922.txt", "004_03c74e55dd2040e4.txt"}
    assert {p.jurisdiction for p in kb.provisions.values()} == {"AU", "NZ", "UK", "CA"}


def test_every_quote_is_word_for_word_in_its_source(kb, knowledge_dir):
    texts = {}
    for provision in kb.provisions.values():
        seed = provision.source.seed
        assert seed, f"{provision.id} names no source text"
        if seed not in texts:
            texts[seed] = fold_text((knowledge_dir / "sources" / seed).read_text(encoding="utf-8"))
        assert fold_text(provision.quote) in texts[seed], provision.id


@pytest.mark.skipif(not (SHARED / "seeds").is_dir(), reason="the shared seeds are not beside this checkout")
def test_the_bundled_sources_are_the_shared_seeds_unchanged(knowledge_dir):
    for seed in (SHARED / "seeds").glob("*.txt"):
        assert filecmp.cmp(seed, knowledge_dir / "sources" / seed.name, shallow=False), seed.name


@pytest.mark.parametrize("profile", PROFILES)
def test_each_profile_loads_with_its_contact(kb, profile):
    p = kb.profile(profile)
    provisions = kb.provisions_for(profile)
    assert provisions and p.contact.name and p.contact.how and p.authorisation_contact
    assert {c for x in provisions for c in x.capacities} == set(CAPACITIES)


def test_treasury_extends_the_aps_profile(kb):
    aps = {p.id for p in kb.provisions_for("au-aps")}
    treasury = {p.id for p in kb.provisions_for("au-treasury")}
    assert aps < treasury
    assert any(p.source.issuer.startswith("The Treasury") for p in kb.provisions_for("au-treasury"))


@pytest.mark.parametrize("profile", PROFILES)
def test_every_topic_the_sources_speak_to_is_carried(kb, profile):
    carried = {t for p in kb.provisions_for(profile) for t in p.topics}
    expected = set(TOPICS) - NOT_IN_SOURCES[profile]
    assert expected <= carried, f"missing in {profile}: {sorted(expected - carried)}"
    stale = NOT_IN_SOURCES[profile] & carried
    assert not stale, f"{profile} now carries {sorted(stale)}: take them out of NOT_IN_SOURCES"


def test_practice_advice_is_guidance(kb):
    practice = [p for p in kb.provisions.values() if p.source.seed == "003_0e8e074fd7a8b922.txt"]
    assert practice and all(p.kind == "guidance" for p in practice)


def test_rules_known_through_another_document_say_so(kb):
    for provision in kb.provisions.values():
        if provision.source.seed == "000_e4d03e744d526c4c.txt":
            assert "Grube" in provision.source.cite(), provision.id


@pytest.mark.parametrize("profile", PROFILES)
def test_where_a_profile_covers_a_findings_topic_a_provision_can_carry_its_verdict(kb, profile):
    """A finding decides only through a provision: where the profile speaks to the finding's topic
    for that capacity, one of those provisions must be strict enough to carry the finding's verdict."""
    provisions = kb.provisions_for(profile)
    gaps = []
    for spec in kb.detectors:
        for capacity in CAPACITIES:
            wanted = spec.effects[capacity]
            on_topic = [p for p in provisions if set(p.topics) & set(spec.topics) and p.applies_to(capacity)]
            if wanted == "ok" or not on_topic or (profile, spec.kind, capacity) in MILDER_BY_SOURCE:
                continue
            if not any(severity(p.effect_for(capacity)) >= severity(wanted) for p in on_topic):
                gaps.append(f"{spec.kind}/{capacity} needs {wanted}")
    assert not gaps, gaps
