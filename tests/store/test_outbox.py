"""The outbox keeps acknowledged work until it is done: a request's key is taken once however
long ago (Slack's retry of slow work is not work again), steps are recorded once done, leases
let a live process keep its work and another take over a dead one's."""

from __future__ import annotations

import datetime as dt

from canipost.store.outbox import LEASE


def test_a_key_is_taken_once_however_long_the_work_takes(store, clock):
    assert store.outbox.accept("slack:event:Ev1", "answer_message", {"body": {}}, owner="h:1:a",
                               expires_in=dt.timedelta(minutes=30))
    clock.advance(hours=2)  # the first attempt is still at it, or long done
    assert not store.outbox.accept("slack:event:Ev1", "answer_message", {"body": {}}, owner="h:2:b",
                                   expires_in=dt.timedelta(minutes=30))
    assert store.outbox.counts() == {"pending": 1}


def test_steps_are_recorded_with_their_results(store):
    store.outbox.accept("k", "h", {"body": {}}, owner="h:1:a", expires_in=dt.timedelta(minutes=30))
    assert store.outbox.step("k", "post") is None
    store.outbox.begin_step("k", "post")
    assert store.outbox.step("k", "post") == ("started", None)
    store.outbox.end_step("k", "post", {"ts": "1.2"})
    assert store.outbox.step("k", "post") == ("done", {"ts": "1.2"})


def test_leases_keep_work_with_its_process_until_it_dies_or_lets_go(store, clock):
    store.outbox.accept("k", "h", {"body": {"text": "hi"}}, owner="h:1:a", expires_in=dt.timedelta(minutes=30))
    assert store.outbox.take("h:2:b", 10) == [], "leased to a live process"
    assert [job.key for job in store.outbox.take("h:2:b", 10, dead_owners=["h:1:a"])] == ["k"]
    assert store.outbox.take("h:3:c", 10) == []
    clock.advance(seconds=LEASE.total_seconds() + 1)  # the taker died too: its lease runs out
    job = store.outbox.take("h:3:c", 10)[0]
    assert job.payload == {"body": {"text": "hi"}} and job.attempts == 0
    store.outbox.retry_later("k", dt.timedelta(seconds=5), "ratelimited")
    assert store.outbox.take("h:3:c", 10) == [], "not due yet"
    clock.advance(seconds=6)
    assert store.outbox.take("h:3:c", 10)[0].attempts == 1
    store.outbox.finish("k")
    assert store.outbox.counts() == {"done": 1}


def test_finished_work_is_purged_with_its_text(store, clock):
    store.outbox.accept("k", "h", {"body": {"text": "my draft"}}, owner="h:1:a", expires_in=dt.timedelta(minutes=30))
    store.outbox.begin_step("k", "post")
    store.outbox.finish("k")
    assert store.outbox.purge() == 0
    clock.advance(days=3)
    assert store.outbox.purge() == 1
    assert store.db.execute("SELECT COUNT(*) FROM outbox_steps").fetchone()[0] == 0


def test_the_verification_token_and_secrets_never_reach_the_file(store):
    from canipost.slack.work import _without_token

    body = _without_token({"token": "verification-token", "text": "mine is xoxb-test-bot-token"})
    store.outbox.accept("k", "h", {"body": body}, owner="h:1:a", expires_in=dt.timedelta(minutes=30))
    raw = store.db.execute("SELECT payload FROM outbox").fetchone()[0]
    assert "verification-token" not in raw and "xoxb-test-bot-token" not in raw


def test_a_claim_cut_off_by_a_crash_goes_back_to_its_holder_only(store):
    assert store.events.begin("slack:notice:CP-00001", holder="slack:trigger:1")
    # The holder's work is tried again after a crash, before it recorded that it had the claim:
    assert store.events.begin("slack:notice:CP-00001", holder="slack:trigger:1")
    # Any other work (a second submission of the same form) still finds it taken.
    assert not store.events.begin("slack:notice:CP-00001", holder="slack:trigger:2")
    assert not store.events.begin("slack:notice:CP-00001")
