"""What the Slack app leans on: the answer log behind its buttons, handled events, feedback."""

from __future__ import annotations

import datetime as dt

import pytest

from canipost.store import NotFound

from .store_helpers import ADVISOR, ASKER, OTHER, finding, make_answer


def test_answer_log_round_trip(store):
    answer = make_answer("do-not-post")
    answer_id = store.answers.record(answer, "Can I post the PROTECTED brief?", user=ASKER.id, workspace="T1",
                                     channel="C1", mode="check", profile="au-aps", capacity="official")
    assert 8 <= len(answer_id) <= 16 and answer_id.replace("-", "").replace("_", "").isalnum()
    logged = store.answers.get(answer_id)
    assert logged.answer == answer and logged.text == "Can I post the PROTECTED brief?"
    assert (logged.user_id, logged.workspace, logged.channel, logged.capacity) == (ASKER.id, "T1", "C1", "official")
    assert store.answers.record(answer, "x") != answer_id
    with pytest.raises(NotFound):
        store.answers.get("no-such-id")


def test_escalate_from_the_answer_log(store):
    text = "Call Jane on 0412 345 678 about her claim"
    answer = make_answer(findings=[finding(text, "phone", "0412 345 678")])
    answer_id = store.answers.record(answer, text, user=ASKER.id, workspace="T1", channel="C1", mode="check")
    case = store.escalate(answer_id, ASKER, context="Posting tonight", urgency="urgent", source_key="slack:view:V1")
    again = store.escalate(answer_id, ASKER, source_key="slack:view:V1")
    assert again.ref == case.ref and not again.created
    assert case.text == "Call Jane on [phone number removed] about her claim"
    assert (case.channel, case.urgency, case.via, case.verdict) == ("C1", "urgent", "slack", "caution")


def test_handled_events(store, clock):
    assert store.events.begin("slack:event:Ev1") is True
    assert store.events.begin("slack:event:Ev1") is False  # a retry while the first is working
    store.events.finish("slack:event:Ev1")
    assert store.events.begin("slack:event:Ev1") is False  # a retry after it was handled


def test_a_released_event_is_handled_by_the_retry(store):
    assert store.events.begin("slack:event:Ev2")
    store.events.release("slack:event:Ev2")
    assert store.events.begin("slack:event:Ev2")


def test_an_abandoned_event_is_taken_over(store, clock):
    assert store.events.begin("slack:event:Ev3")
    clock.advance(seconds=30)
    assert not store.events.begin("slack:event:Ev3")
    clock.advance(seconds=31)
    assert store.events.begin("slack:event:Ev3")
    store.events.finish("slack:event:Ev3")
    clock.advance(days=1)
    assert not store.events.begin("slack:event:Ev3")


def test_old_events_are_forgotten(store, clock):
    store.events.begin("old")
    store.events.finish("old")
    clock.advance(days=3)
    store.events.begin("new")
    assert store.events.purge(dt.timedelta(days=2)) == 1
    assert store.db["handled_events"].count == 1


def test_feedback_votes(store):
    answer_id = store.answers.record(make_answer(), "Can I share the job ad?", user=ASKER.id)
    store.feedback.record(True, "Can I share the job ad?", "ok", ["a", "b"], "au-aps", ASKER.id, answer_id=answer_id)
    # Changing one's mind changes the vote; it does not add one.
    store.feedback.record(False, "Can I share the job ad?", "ok", ["a", "b"], "au-aps", ASKER.id, answer_id=answer_id)
    store.feedback.record(False, "Can I share the job ad?", "ok", ["a", "b"], "au-aps", OTHER.id, answer_id=answer_id)
    rows = list(store.db.query("SELECT kind, user_id, first_provision, provision_ids FROM feedback ORDER BY id"))
    assert [(r["kind"], r["user_id"]) for r in rows] == [("not-helpful", ASKER.id), ("not-helpful", OTHER.id)]
    assert rows[0]["first_provision"] == "a" and rows[0]["provision_ids"] == '["a", "b"]'


def test_feedback_on_an_expired_answer_still_counts(store):
    store.feedback.record(True, "q", "ok", [], "au-aps", ASKER.id, answer_id="long-gone")
    assert store.db.execute("SELECT answer_id, kind FROM feedback").fetchone() == (None, "helpful")


def test_feedback_masks_contact_details(store):
    question = "Can I post jo@example.com's complaint?"
    store.feedback.record(False, question, "caution", ["p"], "au-aps", ASKER.id,
                          findings=[finding(question, "email", "jo@example.com")])
    assert store.db.execute("SELECT question FROM feedback").fetchone()[0] == "Can I post [email removed]'s complaint?"


def test_feedback_report_groups_the_gaps(store):
    record = store.feedback.record
    record(False, "Can I post a photo of my team at the offsite?", "ok", ["au.photos", "au.x"], "au-aps", "U1")
    record(False, "can I post a photo of my team at the offsite", "ok", ["au.photos"], "au-aps", "U2")
    record(False, "Photo of my team at the offsite, can I post it?", "caution", ["au.photos"], "au-aps", "U3")
    record(False, "Is it ok to follow the minister?", "ok", ["au.following"], "au-aps", "U4")
    record(True, "Can I post a photo of the sunset?", "ok", ["au.photos"], "au-aps", "U5")
    record(False, "Anything about podcasts?", "ok", [], "au-aps", "U6")
    for n in range(3):
        store.feedback.record_unmatched(f"Can I stream video games on Twitch{'?' * n}", "au-aps", f"U{n}")
    store.feedback.record_unmatched("What about my pet's Instagram account?", "uk-cs", "U9")

    report = store.feedback.report()
    assert report["totals"] == {"helpful": 1, "not-helpful": 5, "unmatched": 4}
    photos = report["not_helpful"][0]
    assert (photos["provision"], photos["not_helpful"], photos["helpful"]) == ("au.photos", 3, 1)
    assert [g["count"] for g in photos["questions"]] == [3]
    assert photos["questions"][0]["verdicts"] == {"ok": 2, "caution": 1}
    assert {g["provision"] for g in report["not_helpful"]} == {"au.photos", "au.following", None}
    unmatched = report["unmatched"]
    assert [g["count"] for g in unmatched] == [3, 1]
    assert unmatched[0]["question"] == "Can I stream video games on Twitch"
    assert store.feedback.report(profile="uk-cs")["totals"] == {"helpful": 0, "not-helpful": 0, "unmatched": 1}


def test_advisors_see_the_store_across_threads(store):
    """The Slack app answers from several threads; one store serves them all."""
    from concurrent.futures import ThreadPoolExecutor

    def create(n):
        return store.escalations.create(asker=ASKER, text=f"Threaded {n}", answer=make_answer(),
                                        source_key=f"slack:view:T{n % 50}").ref

    with ThreadPoolExecutor(8) as pool:
        refs = list(pool.map(create, range(200)))
    assert len(set(refs)) == 50 and store.escalations.count(ADVISOR) == 50
