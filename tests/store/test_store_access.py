"""Issue 12, item 1, in the store itself: whatever the front end, a case is opened only from the
asker's own answer, and every refusal (someone else's answer, a case that does not exist) is on
the audit trail."""

from __future__ import annotations

import pytest

from canipost.store import NotAllowed, NotFound

from .store_helpers import ADVISOR, ASKER, OTHER, make_answer


def refused(store) -> list[dict]:
    return store.database.query("SELECT * FROM audit WHERE action = 'refused' ORDER BY id")


def test_a_case_is_opened_only_from_ones_own_answer(store):
    answer_id = store.answers.record(make_answer(), "Can I post my neighbour's tax debt?", user=ASKER.id,
                                     channel="D100")
    with pytest.raises(NotAllowed):
        store.escalate(answer_id, OTHER)
    with pytest.raises(NotAllowed):
        store.escalate(answer_id, ADVISOR)  # not even an advisor: the case is the asker's
    assert store.escalations.list(ADVISOR) == []
    assert [(r["actor_id"], r["detail"].split(":")[0]) for r in refused(store)] == [(OTHER.id, "escalate"),
                                                                                (ADVISOR.id, "escalate")]
    case = store.escalate(answer_id, ASKER)
    assert case.asker_id == ASKER.id


def test_an_answer_is_shown_to_its_asker_advisors_and_the_conversation_it_was_posted_in(store):
    answer_id = store.answers.record(make_answer(), "Can I post this?", user=ASKER.id, channel="C1")
    assert store.access.answer(answer_id, ASKER, "show").id == answer_id
    assert store.access.answer(answer_id, ADVISOR, "show").id == answer_id
    assert store.access.answer(answer_id, OTHER, "show", seen_in="C1").id == answer_id
    with pytest.raises(NotAllowed):
        store.access.answer(answer_id, OTHER, "show", seen_in="C2")
    with pytest.raises(NotAllowed):
        store.access.answer(answer_id, OTHER, "show")
    assert len(refused(store)) == 2


@pytest.mark.parametrize("step", ["claim", "resolve", "reopen"])
def test_steps_on_a_case_that_does_not_exist_are_audited(store, step):
    act = {"claim": lambda: store.escalations.claim("CP-00404", ADVISOR),
           "resolve": lambda: store.escalations.resolve("CP-00404", OTHER, "Fine."),
           "reopen": lambda: store.escalations.reopen("CP-00404", ADVISOR, "Why not")}[step]
    with pytest.raises(NotFound):
        act()
    [row] = refused(store)
    assert row["ref"] == "CP-00404" and row["detail"].startswith(step) and row["escalation_id"] is None
