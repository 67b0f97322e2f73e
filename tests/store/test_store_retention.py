"""Retention: resolved cases lose their text after CANIPOST_RETENTION_DAYS; the record stays."""

from __future__ import annotations

import datetime as dt

import pytest

from canipost.errors import InputError
from canipost.store import InvalidTransition

from .store_helpers import ADVISOR, ASKER, actions, make_answer


def test_purge_removes_the_text_and_keeps_the_record(store, clock):
    old = store.escalations.create(asker=ASKER, text="Old question", answer=make_answer(), context="Old context")
    store.escalations.comment(old.ref, ADVISOR, "A note naming someone")
    store.escalations.resolve(old.ref, ADVISOR, "Old answer.", precedent=True)
    recent = store.escalations.create(asker=ASKER, text="Recent question", answer=make_answer())
    waiting = store.escalations.create(asker=ASKER, text="Still open", answer=make_answer())
    clock.advance(days=200)
    store.escalations.resolve(recent.ref, ADVISOR, "Recent answer.")
    clock.advance(days=200)

    assert store.escalations.purge(365) == [old.ref]
    purged = store.escalations.get(old.ref, ADVISOR)
    assert purged.text is None and purged.context is None and purged.purged_at
    assert [c.text for c in purged.comments] == [None]
    assert purged.resolution == "Old answer." and purged.verdict == "caution" and purged.provisions
    assert actions(store, old.ref)[-1] == "purged"
    assert "365 days" in store.escalations.audit(old.ref)[-1].detail
    # The precedent was anonymised when it was made, and stays.
    assert store.precedents.list()[0]["answer"] == "Old answer."
    assert store.escalations.get(recent.ref, ADVISOR).text == "Recent question"
    assert store.escalations.get(waiting.ref, ADVISOR).text == "Still open"
    # Twice is a no-op, not a second audit row.
    assert store.escalations.purge(365) == []
    assert actions(store, old.ref).count("purged") == 1


def test_purge_takes_an_explicit_now(store):
    case = store.escalations.create(asker=ASKER, text="Question", answer=make_answer())
    store.escalations.resolve(case.ref, ADVISOR, "Answer.")
    assert store.escalations.purge(30, now=store.database.clock() + dt.timedelta(days=29)) == []
    assert store.escalations.purge(30, now=store.database.clock() + dt.timedelta(days=31)) == [case.ref]


def test_a_purged_case_cannot_be_reopened(store, clock, case):
    store.escalations.resolve(case.ref, ADVISOR, "Answer.")
    clock.advance(days=400)
    store.escalations.purge(365)
    with pytest.raises(InvalidTransition, match="retention"):
        store.escalations.reopen(case.ref, ADVISOR, "Too late.")
    assert actions(store, case.ref)[-2:] == ["purged", "refused"]


def test_retention_must_be_positive(store):
    with pytest.raises(InputError):
        store.escalations.purge(0)


def test_answer_log_expires(store, clock):
    first = store.answers.record(make_answer(), "An old question", user=ASKER.id)
    clock.advance(days=6)
    second = store.answers.record(make_answer(), "A newer question", user=ASKER.id)
    clock.advance(days=2)
    assert store.answers.purge_expired(7) == 1
    assert store.answers.get(second).text == "A newer question"
    from canipost.store import NotFound

    with pytest.raises(NotFound, match="ask again"):
        store.answers.get(first)
