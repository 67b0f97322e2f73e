"""The status workflow, who may do what, and the audit trail that records both."""

from __future__ import annotations

import pytest

from canipost.errors import CanipostError, InputError
from canipost.store import InvalidTransition, NotAllowed, NotFound

from .store_helpers import ADVISOR, ADVISOR_2, ASKER, OTHER, actions, make_answer


def test_create_keeps_the_answer_as_it_was(store):
    case = store.escalations.create(asker=ASKER, text="Can I post this?", answer=make_answer("needs-approval"),
                                    workspace="T1", channel="D1", context="It's for Friday", urgency="high")
    assert case.ref == "CP-00001" and case.status == "open" and case.created
    assert case.verdict == "needs-approval" and case.escalate is True
    assert case.summary.startswith("Take care")
    assert case.provision_ids == ["au-aps.privacy.personal-information", "au-aps.public-comment.respect"]
    assert case.provisions[1]["topics"] == ["respect", "privacy"]
    assert case.topics == ["privacy", "respect"]
    assert (case.profile, case.capacity, case.mode) == ("au-aps", "personal", "check")
    assert (case.workspace, case.channel, case.context, case.urgency) == ("T1", "D1", "It's for Friday", "high")
    assert actions(store, case.ref) == ["created"]
    assert store.escalations.create(asker=ASKER, text="again", answer=make_answer()).ref == "CP-00002"


def test_the_same_interaction_makes_one_case(store):
    first = store.escalations.create(asker=ASKER, text="Can I post this?", answer=make_answer(),
                                     source_key="slack:view:V123")
    again = store.escalations.create(asker=ASKER, text="Can I post this?", answer=make_answer(),
                                     source_key="slack:view:V123")
    other = store.escalations.create(asker=ASKER, text="Can I post this?", answer=make_answer(),
                                     source_key="slack:view:V124")
    assert again.ref == first.ref and not again.created and first.created
    assert other.ref != first.ref
    assert store.db["escalations"].count == 2
    assert actions(store, first.ref) == ["created"]


def test_create_checks_its_input(store):
    with pytest.raises(InputError):
        store.escalations.create(asker=ASKER, text="   ", answer=make_answer())
    with pytest.raises(InputError):
        store.escalations.create(asker=ASKER, text="text", answer=make_answer(), urgency="yesterday")
    with pytest.raises(InputError):
        store.escalations.create(asker=ASKER, text="text", answer={})  # no profile anywhere
    assert store.db["escalations"].count == 0


def test_the_whole_workflow(store, case, clock):
    clock.advance(hours=1)
    claimed = store.escalations.claim(case.ref, ADVISOR)
    assert claimed.status == "claimed" and claimed.assignee_id == ADVISOR.id
    store.escalations.comment(case.ref, ADVISOR, "Rang the asker.")
    clock.advance(hours=2)
    resolved = store.escalations.resolve(case.ref, ADVISOR, "Fine without faces in it.")
    assert resolved.status == "resolved" and resolved.resolution == "Fine without faces in it."
    assert resolved.resolved_at == "2024-03-01T12:00:00.000Z"
    reopened = store.escalations.reopen(case.ref, ADVISOR_2, "The asker has a follow-up.")
    assert reopened.status == "reopened" and reopened.resolution is None and reopened.assignee_id is None
    # Nothing is lost by reopening: the earlier answer stays with the case.
    assert any("Fine without faces in it." in (c.text or "") for c in reopened.comments)
    assert store.escalations.claim(case.ref, ADVISOR_2).status == "claimed"
    assert store.escalations.resolve(case.ref, ADVISOR_2, "Still fine.").status == "resolved"
    assert actions(store, case.ref) == ["created", "claimed", "commented", "resolved", "reopened", "claimed", "resolved"]
    trail = store.escalations.audit(case.ref)
    assert [e.actor_id for e in trail] == [ASKER.id, ADVISOR.id, ADVISOR.id, ADVISOR.id, ADVISOR_2.id, ADVISOR_2.id,
                                           ADVISOR_2.id]
    assert trail[1].at == "2024-03-01T10:00:00.000Z"


def test_an_advisor_may_resolve_an_unclaimed_case(store, case):
    resolved = store.escalations.resolve(case.ref, ADVISOR, "Yes, go ahead.")
    assert resolved.status == "resolved" and resolved.assignee_id == ADVISOR.id and resolved.claimed_at


def test_take_over_a_claimed_case(store, case):
    store.escalations.claim(case.ref, ADVISOR)
    taken = store.escalations.claim(case.ref, ADVISOR_2, take_over=True)
    assert taken.assignee_id == ADVISOR_2.id
    assert store.escalations.audit(case.ref)[-1].detail == f"taken over from {ADVISOR.name}"


def _claimed(store, ref):
    store.escalations.claim(ref, ADVISOR)


def _resolved(store, ref):
    store.escalations.resolve(ref, ADVISOR, "Answered.")


def _reopened(store, ref):
    _resolved(store, ref)
    store.escalations.reopen(ref, ADVISOR, "More to it.")


ILLEGAL = [
    # (state the case is put in, the step tried, the status it must keep)
    (_resolved, lambda s, ref: s.escalations.claim(ref, ADVISOR_2), "resolved"),
    (_resolved, lambda s, ref: s.escalations.claim(ref, ADVISOR_2, take_over=True), "resolved"),
    (_resolved, lambda s, ref: s.escalations.resolve(ref, ADVISOR, "Twice."), "resolved"),
    (_resolved, lambda s, ref: s.escalations.resolve(ref, ADVISOR_2, "Twice, by another."), "resolved"),
    (_claimed, lambda s, ref: s.escalations.claim(ref, ADVISOR), "claimed"),
    (_claimed, lambda s, ref: s.escalations.claim(ref, ADVISOR_2), "claimed"),
    (None, lambda s, ref: s.escalations.reopen(ref, ADVISOR, "Why not?"), "open"),
    (_claimed, lambda s, ref: s.escalations.reopen(ref, ADVISOR, "Why not?"), "claimed"),
    (_reopened, lambda s, ref: s.escalations.reopen(ref, ADVISOR, "Again?"), "reopened"),
]


@pytest.mark.parametrize("setup, step, status", ILLEGAL)
def test_every_illegal_transition_is_refused_and_audited(store, case, setup, step, status):
    if setup:
        setup(store, case.ref)
    before = actions(store, case.ref)
    with pytest.raises(InvalidTransition) as refused:
        step(store, case.ref)
    assert isinstance(refused.value, CanipostError)
    assert case.ref in str(refused.value)
    assert store.escalations.get(case.ref, ADVISOR).status == status
    assert actions(store, case.ref) == before + ["refused"]
    assert str(refused.value) in store.escalations.audit(case.ref)[-1].detail


UNAUTHORISED = [
    # the asker themselves may not work their own case
    lambda s, ref: s.escalations.claim(ref, ASKER),
    lambda s, ref: s.escalations.resolve(ref, ASKER, "Self-approved."),
    lambda s, ref: s.escalations.reopen(ref, ASKER, "Please."),
    lambda s, ref: s.escalations.audit(ref, ASKER),
    # and nobody else may so much as look
    lambda s, ref: s.escalations.get(ref, OTHER),
    lambda s, ref: s.escalations.claim(ref, OTHER),
    lambda s, ref: s.escalations.resolve(ref, OTHER, "Nosy."),
    lambda s, ref: s.escalations.reopen(ref, OTHER, "Nosy."),
    lambda s, ref: s.escalations.comment(ref, OTHER, "Nosy."),
    lambda s, ref: s.escalations.audit(ref, OTHER),
    # pressing Resolve, before any form opens
    lambda s, ref: s.escalations.require_advisor(ref, OTHER, "resolve"),
]


def test_an_advisor_may_open_the_resolve_form(store, case):
    before = actions(store, case.ref)
    store.escalations.require_advisor(case.ref, ADVISOR, "resolve")
    assert actions(store, case.ref) == before


@pytest.mark.parametrize("attempt", UNAUTHORISED)
def test_every_unauthorised_action_is_refused_and_audited(store, case, attempt):
    before = actions(store, case.ref)
    with pytest.raises(NotAllowed) as refused:
        attempt(store, case.ref)
    assert str(refused.value).startswith("Sorry,")
    assert store.escalations.get(case.ref, ADVISOR).status == "open"
    trail = store.escalations.audit(case.ref)
    assert [e.action for e in trail] == before + ["refused"]
    assert trail[-1].actor_id in (ASKER.id, OTHER.id)


@pytest.mark.parametrize("attempt", [
    lambda s: s.escalations.list(OTHER, asker=ASKER.id),
    lambda s: s.escalations.count(OTHER, asker=ASKER.id),
    lambda s: s.escalations.stats(OTHER),
    lambda s: s.escalations.export_csv(__import__("io").StringIO(), OTHER),
])
def test_the_queue_is_for_advisors_only(store, case, attempt):
    with pytest.raises(NotAllowed):
        attempt(store)
    refused = list(store.db.query("SELECT * FROM audit WHERE action = 'refused'"))
    assert len(refused) == 1 and refused[0]["actor_id"] == OTHER.id and refused[0]["escalation_id"] is None


def test_askers_see_their_own_cases_and_status(store, case):
    store.escalations.create(asker=OTHER, text="Mine, not Sam's.", answer=make_answer())
    own = store.escalations.list(ASKER)
    assert [c.ref for c in own] == [case.ref]
    assert store.escalations.list(ASKER, asker=ASKER.id) == own
    assert store.escalations.get(case.ref, ASKER).status == "open"
    store.escalations.claim(case.ref, ADVISOR)
    assert store.escalations.get(case.ref, ASKER).status == "claimed"
    assert len(store.escalations.list(ADVISOR)) == 2


def test_askers_do_not_see_advisors_notes(store, case):
    store.escalations.comment(case.ref, ADVISOR, "Internal: check with legal.")
    store.escalations.comment(case.ref, ASKER, "It's urgent, the event is tomorrow.")
    assert [c.author_id for c in store.escalations.get(case.ref, ADVISOR).comments] == [ADVISOR.id, ASKER.id]
    assert [c.author_id for c in store.escalations.get(case.ref, ASKER).comments] == [ASKER.id]


def test_list_filters_and_orders(store, clock):
    refs = []
    for n in range(5):
        clock.advance(minutes=1)
        refs.append(store.escalations.create(asker=ASKER, text=f"Question {n}", answer=make_answer()).ref)
    store.escalations.claim(refs[1], ADVISOR)
    store.escalations.resolve(refs[2], ADVISOR, "Done.")
    store.escalations.resolve(refs[3], ADVISOR, "Done.")
    store.escalations.reopen(refs[3], ADVISOR, "Not done.")
    # The queue, oldest first: new and reopened cases.
    assert [c.ref for c in store.escalations.list(ADVISOR, status="open")] == [refs[0], refs[3], refs[4]]
    assert [c.ref for c in store.escalations.list(ADVISOR, status="claimed")] == [refs[1]]
    assert [c.ref for c in store.escalations.list(ADVISOR, status="resolved")] == [refs[2]]
    assert [c.ref for c in store.escalations.list(ADVISOR)] == refs[::-1]
    assert [c.ref for c in store.escalations.list(ADVISOR, limit=2, offset=1)] == [refs[3], refs[2]]
    assert store.escalations.count(ADVISOR, status="open") == 3
    with pytest.raises(InputError):
        store.escalations.list(ADVISOR, status="pending")


@pytest.mark.parametrize("ref", ["CP-00001", "cp-1", "1", " CP1 ", 1])
def test_references_are_forgiving(store, case, ref):
    assert store.escalations.get(ref, ADVISOR).ref == "CP-00001"


@pytest.mark.parametrize("ref", ["CP-00099", "nonsense", ""])
def test_unknown_references_are_not_found(store, case, ref):
    with pytest.raises(NotFound):
        store.escalations.get(ref, ADVISOR)
    with pytest.raises(NotFound):
        store.escalations.claim(ref, ADVISOR)


def test_empty_answers_and_comments_are_refused_as_input(store, case):
    with pytest.raises(InputError):
        store.escalations.resolve(case.ref, ADVISOR, "  ")
    with pytest.raises(InputError):
        store.escalations.comment(case.ref, ADVISOR, "")
    assert store.escalations.get(case.ref, ADVISOR).status == "open"


def test_stats(store, clock):
    answers = [make_answer("caution"), make_answer("do-not-post", profile="uk-cs"), make_answer("ok", provisions=[])]
    refs = [store.escalations.create(asker=ASKER, text=f"Question {n}", answer=a).ref for n, a in enumerate(answers)]
    for ref, hours in zip(refs, (1, 3, 8)):
        clock.advance(hours=hours)
        store.escalations.resolve(ref, ADVISOR, "Answered.")
    store.escalations.create(asker=ASKER, text="Still waiting", answer=make_answer())
    figures = store.escalations.stats()
    assert figures["total"] == 4
    assert figures["by_status"] == {"open": 1, "claimed": 0, "resolved": 3, "reopened": 0}
    assert figures["by_profile"] == {"au-aps": 3, "uk-cs": 1}
    assert figures["by_topic"] == {"privacy": 3, "respect": 3}
    assert figures["by_verdict"]["caution"] == 2
    # Resolved after 1, 4 and 12 hours: the median is 4.
    assert figures["median_hours_to_resolve"] == 4.0
    assert figures["oldest_open"]["ref"] == "CP-00004"


def test_export_csv(store, case):
    import csv
    import io

    store.escalations.resolve(case.ref, ADVISOR, "Yes, with care.", precedent=True)
    out = io.StringIO()
    assert store.escalations.export_csv(out) == 1
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["ref"] == case.ref and rows[0]["status"] == "resolved" and rows[0]["precedent"] == "yes"
    assert rows[0]["provisions"] == "au-aps.privacy.personal-information; au-aps.public-comment.respect"
    assert rows[0]["text"] == case.text
    out = io.StringIO()
    store.escalations.export_csv(out, ADVISOR, include_text=False)
    assert "text" not in out.getvalue().splitlines()[0].split(",")


def test_export_json_lines(store, case):
    import io
    import json

    out = io.StringIO()
    assert store.escalations.export_jsonl(out, ADVISOR) == 1
    [row] = [json.loads(line) for line in out.getvalue().splitlines()]
    assert row["ref"] == case.ref and row["topics"] == ["privacy", "respect"] and row["precedent"] is False
    assert row["provisions"] == ["au-aps.privacy.personal-information", "au-aps.public-comment.respect"]
