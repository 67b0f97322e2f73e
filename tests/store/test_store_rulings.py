"""Rulings in the store: recorded beside canipost's verdict, measured, learnt from with consent,
withdrawn with their case, every step on the audit trail; older files stay readable."""

from __future__ import annotations

import sqlite3

import pytest

from canipost.errors import InputError
from canipost.store import InvalidTransition, Ruling, Store
from canipost.store.schema import MIGRATIONS, migrate
from canipost.store.db import Database

from .store_helpers import ADVISOR, ASKER, actions, finding, make_answer

DRAFT = "Jo Bloggs (jo@example.com, 0412 345 678) said our draft budget cuts 40 jobs xoxb-123456789-abcdefghij"


def open_case(store, verdict="caution", text="Can I post a photo of the queue at our office?", findings=()):
    return store.escalations.create(asker=ASKER, text=text, answer=make_answer(verdict, findings=list(findings)))


@pytest.mark.parametrize("canipost, ruled, agreement", [
    ("caution", "caution", "agreed"), ("caution", "do-not-post", "under-called"), ("needs-approval", "ok", "over-called")])
def test_a_ruling_is_kept_beside_canipost_verdict(store, canipost, ruled, agreement):
    case = open_case(store, canipost)
    resolved = store.escalations.resolve(case.ref, ADVISOR, "My answer.",
                                         ruling=Ruling(ruled, "official", ("privacy",), ("au.aps-code.privacy",)))
    ruling = resolved.ruling
    assert (ruling["verdict"], ruling["capacity"], ruling["canipost_verdict"], ruling["agreement"]) == (
        ruled, "official", canipost, agreement)
    assert ruling["topics"] == ["privacy"] and ruling["provisions"] == ["au.aps-code.privacy"]
    assert not ruling["learn"], "not a precedent, no consent asked: not learnt from"
    assert actions(store, case.ref) == ["created", "resolved", "ruled"]
    detail = store.escalations.audit(case.ref)[-1].detail
    assert f"{ruled} for official" in detail and f"canipost said {canipost}: {agreement}" in detail


def test_the_asker_is_told_the_answer_the_ruling_is_the_advisors(store):
    case = open_case(store)
    store.escalations.resolve(case.ref, ADVISOR, "Fine.", ruling=Ruling("ok", "personal"))
    assert store.escalations.get(case.ref, ASKER).ruling is None
    assert store.escalations.get(case.ref, ADVISOR).ruling["verdict"] == "ok"


@pytest.mark.parametrize("ruling, problem", [
    (Ruling("banned", "personal", ("privacy",)), "unknown verdict"),
    (Ruling("caution", "private", ("privacy",)), "unknown capacity"),
    (Ruling("caution", "personal", ("gossip",)), "unknown topic"),
    (Ruling("caution", "personal", ()), "names the topics"),
    (Ruling("caution", "personal", ("privacy", "respect", "tone", "accuracy")), "at most 3"),
])
def test_a_ruling_an_example_could_not_carry_is_refused_and_nothing_saved(store, ruling, problem):
    case = open_case(store)
    with pytest.raises(InputError, match=problem):
        store.escalations.resolve(case.ref, ADVISOR, "Answer.", ruling=ruling)
    assert store.escalations.get(case.ref, ADVISOR).status == "open"
    assert store.db["rulings"].count == 0


def test_consent_is_on_by_default_for_precedents_and_the_example_is_de_identified(store):
    text = DRAFT
    findings = [finding(text, "person", "Jo Bloggs"), finding(text, "email", "jo@example.com"),
                finding(text, "phone", "0412 345 678")]
    case = open_case(store, "caution", text, findings)
    store.escalations.resolve(case.ref, ADVISOR, "Never.", precedent=True,
                              ruling=Ruling("do-not-post", "personal", ("official-information", "privacy")))
    assert actions(store, case.ref)[-2:] == ["ruled", "consent-given"]
    [example] = store.rulings.for_training()
    assert example["ref"] == case.ref and example["verdict"] == "do-not-post" and example["learn"]
    learnt = example["example_text"]
    for secret in ("Jo Bloggs", "jo@example.com", "0412 345 678", "xoxb-123456789-abcdefghij"):
        assert secret not in learnt
    assert learnt.startswith("[name removed] ([email removed], [phone number removed]) said our draft budget")


def test_consent_can_be_refused_given_later_in_the_advisors_own_words_and_withdrawn(store):
    case = open_case(store)
    store.escalations.resolve(case.ref, ADVISOR, "Fine.", precedent=True,
                              ruling=Ruling("ok", "personal", learn=False))
    assert store.rulings.for_training() == []
    store.escalations.consent(case.ref, ADVISOR, True, text="A photo of a queue outside an office.")
    assert [r["example_text"] for r in store.rulings.for_training()] == ["A photo of a queue outside an office."]
    with pytest.raises(InvalidTransition, match="already used"):
        store.escalations.consent(case.ref, ADVISOR, True)
    store.escalations.consent(case.ref, ADVISOR, False)
    assert store.rulings.for_training() == []
    assert actions(store, case.ref) == ["created", "resolved", "ruled", "consent-given", "refused", "consent-withdrawn"]
    unruled = open_case(store)
    store.escalations.resolve(unruled.ref, ADVISOR, "Fine.")
    with pytest.raises(InvalidTransition, match="no ruling"):
        store.escalations.consent(unruled.ref, ADVISOR, True)


def test_reopening_withdraws_the_ruling_from_the_figures_and_the_training_set(store):
    case = open_case(store, "caution")
    store.escalations.resolve(case.ref, ADVISOR, "No.", precedent=True,
                              ruling=Ruling("do-not-post", "personal", ("privacy",)))
    assert store.escalations.agreement()["under_called"] == 1 and store.rulings.for_training()
    store.escalations.reopen(case.ref, ADVISOR, "New facts.")
    assert store.escalations.agreement()["rulings"] == 0 and store.rulings.for_training() == []
    assert store.escalations.get(case.ref, ADVISOR).ruling is None
    assert {"precedent-withdrawn", "ruling-withdrawn"} <= set(actions(store, case.ref))
    store.escalations.resolve(case.ref, ADVISOR, "Fine after all.", ruling=Ruling("caution", "personal", ("privacy",)))
    assert store.escalations.agreement()["agreed"] == 1
    assert store.db["rulings"].count == 2, "the withdrawn ruling is kept, dated"


def test_agreement_by_profile_and_month_newest_first_with_the_cases(store, clock):
    def ruled(canipost, verdict, profile="au-aps"):
        case = store.escalations.create(asker=ASKER, text="text", answer=make_answer(canipost, profile=profile))
        store.escalations.resolve(case.ref, ADVISOR, "Answer.", ruling=Ruling(verdict, "personal", ("privacy",)))
        return case.ref

    march = [ruled("caution", "caution"), ruled("caution", "do-not-post")]
    clock.advance(days=31)
    april = [ruled("do-not-post", "caution"), ruled("caution", "do-not-post"), ruled("ok", "ok", "uk-cs")]
    report = store.escalations.agreement()
    assert (report["rulings"], report["agreed"], report["under_called"], report["over_called"]) == (5, 2, 2, 1)
    assert [(g["profile"], g["month"], g["rulings"]) for g in report["by_profile_month"]] == [
        ("au-aps", "2024-04", 2), ("au-aps", "2024-03", 2), ("uk-cs", "2024-04", 1)]
    first = report["by_profile_month"][0]
    assert [c["ref"] for c in first["cases"]["under_called"]] == [april[1]]
    assert [c["ref"] for c in first["cases"]["over_called"]] == [april[0]]
    assert first["cases"]["over_called"][0] | {"ref": None} == {
        "ref": None, "ruled_on": "2024-04-01", "capacity": "personal", "canipost": "do-not-post", "ruling": "caution"}
    assert report["by_profile_month"][1]["cases"]["under_called"][0]["ref"] == march[1]
    assert store.escalations.agreement(since="2024-04-01")["rulings"] == 3
    assert store.escalations.agreement(profile="uk-cs")["agreed"] == 1
    assert store.escalations.stats()["agreement"] == report


def test_a_file_from_before_rulings_is_brought_up_to_date_and_its_cases_stay_readable(db_path):
    database = Database(db_path)
    migrate(database, target=len(MIGRATIONS) - 1)
    database.db.execute("INSERT INTO escalations (id, ref, status, created_at, updated_at, asker_id, profile, verdict, "
                        "resolution, resolved_at) VALUES (1, 'CP-00001', 'resolved', '2024-01-01T00:00:00.000Z', "
                        "'2024-01-02T00:00:00.000Z', 'U1', 'au-aps', 'caution', 'Old answer.', "
                        "'2024-01-02T00:00:00.000Z')")
    database.close()
    with Store(db_path) as store:
        old = store.escalations.get("CP-00001", ADVISOR)
        assert old.resolution == "Old answer." and old.ruling is None
        assert store.escalations.agreement()["rulings"] == 0
    raw = sqlite3.connect(db_path)  # the table's constraints hold for any tool, as the audit trail's do
    try:
        with pytest.raises(sqlite3.IntegrityError):
            raw.execute("INSERT INTO rulings (escalation_id, created_at, ruled_by_id, profile, mode, capacity, verdict) "
                        "VALUES (1, 'x', 'U9', 'au-aps', 'ask', 'personal', 'banned')")
    finally:
        raw.close()
