"""Third parties' details, secrets, and precedents: what the file keeps and what it shows."""

from __future__ import annotations

import os
import stat

import pytest

from canipost.errors import InputError
from canipost.store import InvalidTransition
from canipost.store.masking import mask

from .store_helpers import ADVISOR, ASKER, finding, make_answer

DRAFT = "Jane Citizen (jane.citizen@example.com, 0412 345 678) has a tax debt, call her on 0412 345 678."


def _findings(text=DRAFT):
    return [finding(text, "person", "Jane Citizen"), finding(text, "email", "jane.citizen@example.com"),
            finding(text, "phone", "0412 345 678")]


def _raw_text(store, ref):
    return store.db.execute("SELECT text FROM escalations WHERE ref = ?", [ref]).fetchone()[0]


def test_contact_details_are_masked_in_the_stored_copy(store):
    case = store.escalations.create(asker=ASKER, text=DRAFT, answer=make_answer(findings=_findings()),
                                    context="Her email is jane.citizen@example.com if you need it.")
    stored = _raw_text(store, case.ref)
    assert "jane.citizen@example.com" not in stored and "0412 345 678" not in stored
    assert stored == ("Jane Citizen ([email removed], [phone number removed]) has a tax debt, "
                      "call her on [phone number removed].")
    assert case.personal_details == "masked"
    assert "jane.citizen@example.com" not in case.context
    assert "personal details masked" in store.escalations.audit(case.ref)[0].detail


def test_the_asker_may_keep_them(store):
    case = store.escalations.create(asker=ASKER, text=DRAFT, answer=make_answer(findings=_findings()),
                                    keep_personal_details=True)
    assert _raw_text(store, case.ref) == DRAFT
    assert case.personal_details == "kept"


def test_nothing_to_mask(store):
    case = store.escalations.create(asker=ASKER, text="Can I like my minister's post?", answer=make_answer())
    assert case.personal_details == "none"


def test_masking_survives_stale_offsets():
    # The front end trimmed the text after the engine saw it: spans point two characters off.
    text = "Call 0412 345 678 now"
    stale = [{"kind": "phone", "text": "0412 345 678", "start": 7, "end": 19}]
    assert mask(text, stale) == "Call [phone number removed] now"
    assert mask(text, [{"kind": "security-marking", "text": "now", "start": 18, "end": 21}]) == text
    assert mask(None, stale) is None


def test_secrets_never_reach_the_file(store, db_path):
    text = "Is it OK to paste the token xoxb-test-bot-token into the channel?"
    case = store.escalations.create(asker=ASKER, text=text, answer=make_answer(),
                                    context="signing-secret-123 too")
    store.escalations.comment(case.ref, ADVISOR, "They also pasted xoxb-test-bot-token here")
    store.escalations.resolve(case.ref, ADVISOR, "Revoke xoxb-test-bot-token now.")
    answer_id = store.answers.record(make_answer(), text, user=ASKER.id)
    store.feedback.record(False, text, "ok", [], "au-aps", ASKER.id, answer_id=answer_id)
    store.close()
    raw = b"".join(path.read_bytes() for path in db_path.parent.iterdir())
    assert b"xoxb-test-bot-token" not in raw and b"signing-secret-123" not in raw
    assert b"[secret removed]" in raw


def test_anything_shaped_like_a_slack_token_is_removed(store):
    case = store.escalations.create(asker=ASKER, text="Someone posted xoxp-1234567-89abcdef publicly, what now?",
                                    answer=make_answer())
    assert case.text == "Someone posted [secret removed] publicly, what now?"


def test_the_file_is_private_to_its_owner(store, db_path):
    assert stat.S_IMODE(os.stat(db_path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(db_path.parent).st_mode) == 0o700


def test_a_precedent_loses_the_identifying_details(store, clock):
    case = store.escalations.create(asker=ASKER, text=DRAFT, answer=make_answer(findings=_findings()),
                                    keep_personal_details=True)
    clock.advance(days=2)
    store.escalations.resolve(case.ref, ADVISOR, "Never post anyone's tax affairs.", precedent=True)
    [precedent] = store.precedents.list()
    assert precedent == {
        "ref": case.ref, "date": "2024-03-03", "profile": "au-aps", "answer": "Never post anyone's tax affairs.",
        "question": "[name removed] ([email removed], [phone number removed]) has a tax debt, "
                    "call her on [phone number removed].",
    }
    assert store.escalations.get(case.ref, ADVISOR).precedent
    assert store.precedents.list("au-aps") == [precedent] and store.precedents.list("uk-cs") == []


def test_an_advisor_may_word_the_precedent(store):
    case = store.escalations.create(asker=ASKER, text=DRAFT, answer=make_answer(findings=_findings()))
    store.escalations.resolve(case.ref, ADVISOR, "No.", precedent=True,
                              precedent_question="Can I post that a client has a tax debt?")
    assert store.precedents.list()[0]["question"] == "Can I post that a client has a tax debt?"


def test_resolving_without_precedent_shares_nothing(store, case):
    store.escalations.resolve(case.ref, ADVISOR, "Fine.")
    assert store.precedents.list() == []


def test_reopening_withdraws_the_precedent(store, case):
    store.escalations.resolve(case.ref, ADVISOR, "Fine.", precedent=True)
    store.escalations.reopen(case.ref, ADVISOR, "New facts.")
    assert store.precedents.list() == []
    assert "precedent-withdrawn" in [e.action for e in store.escalations.audit(case.ref)]
    store.escalations.resolve(case.ref, ADVISOR, "Not fine after all.", precedent=True)
    assert [p["answer"] for p in store.precedents.list()] == ["Not fine after all."]


def test_precedents_feed_the_engine_shape(store, case):
    """The dicts are what the engine's precedent index takes (ref, date, question, answer, profile)."""
    store.escalations.resolve(case.ref, ADVISOR, "Fine.", precedent=True)
    assert set(store.precedents.list()[0]) == {"ref", "date", "question", "answer", "profile"}


def test_an_old_case_needs_a_worded_precedent(store, case):
    store.db.execute("UPDATE escalations SET question_anonymised = NULL")
    with pytest.raises(InvalidTransition):
        store.escalations.resolve(case.ref, ADVISOR, "Fine.", precedent=True)
    with pytest.raises(InputError):
        store.escalations.resolve(case.ref, ADVISOR, "Fine.", precedent=True, precedent_question=" ")
    store.escalations.resolve(case.ref, ADVISOR, "Fine.", precedent=True, precedent_question="A photo of a queue?")
    assert store.precedents.list()[0]["question"] == "A photo of a queue?"
