"""Ownership on every action (issue 12, items 1 and 7): a request that names someone else's
answer or case, or carries a modal's data altered, is refused, audited, and changes nothing.

Slack normally keeps button values and private_metadata as the app wrote them; these tests send
what a forged or replayed payload would carry instead, signed as Slack signs, so that only the
app's own checks stand in the way.
"""

from __future__ import annotations

import json
import time

from .conftest import ADVISOR, ADVISORS_CHANNEL
from .driver import button, text_of, uid
from .test_escalations import SERIOUS, ask_in_dm, escalate, open_modal
from .test_surfaces import BIO_QUESTION, CAPACITY_QUESTION

SECRET_QUESTION = BIO_QUESTION + " I work on the Project Nightjar restructure."


def refusals(app, actor: str) -> list[dict]:
    return app.rows("SELECT * FROM audit WHERE actor_id = ? AND action = 'refused' ORDER BY id", (actor,))


def press(slack, standin, user, action_id, answer_id, channel, **where):
    """``user`` presses a button naming ``answer_id``, in an ephemeral reply in their own DM."""
    url = standin.response_url(f"actions/{uid('R')}")
    mark = standin.mark()
    slack.click(user, action_id, answer_id, channel=channel, message_ts="1.000001", ephemeral=True,
                response_url=url, **where)
    replied = standin.wait_for(lambda c: c.method == "response_url" and standin.url + c.path == url, mark=mark)[0]
    return replied, mark


def test_buttons_naming_someone_elses_answer_show_nothing_of_it(slack, standin, app):
    owner, intruder = uid("U"), uid("U")
    _, answer = ask_in_dm(slack, standin, owner, SECRET_QUESTION)
    answer_id = button(answer.blocks, "more_provisions")["value"]
    feedback_before = app.rows("SELECT COUNT(*) AS n FROM feedback")[0]["n"]
    for action_id in ("more_provisions", "capacity:official", "feedback:not_helpful"):
        replied, mark = press(slack, standin, intruder, action_id, answer_id, uid("D"))
        assert "given to someone else" in replied.body["text"], action_id
        time.sleep(0.3)
        sent = "\n".join(c.text for c in standin.since(mark))
        assert "Nightjar" not in sent, f"{action_id} showed the owner's question"
        assert not standin.since(mark, "chat.update"), "no message was changed"
    assert app.rows("SELECT COUNT(*) AS n FROM feedback")[0]["n"] == feedback_before, "no feedback recorded"
    refused = refusals(app, intruder)
    assert len(refused) == 3 and all(answer_id in r["detail"] and owner in r["detail"] for r in refused)


def test_everyone_in_a_channel_may_use_the_buttons_of_an_answer_posted_there(slack, standin, app):
    owner, colleague, channel = uid("U"), uid("U"), uid("C")
    slack.mention(BIO_QUESTION, owner, channel)
    answer = standin.wait_for(lambda c: c.method == "chat.postMessage" and c.body.get("channel") == channel)[0]
    more = button(answer.blocks, "more_provisions")
    mark = standin.mark()
    slack.click(colleague, "more_provisions", more["value"], block_id=more["block_id"], channel=channel,
                message_ts=answer.response["ts"])
    updated = standin.wait_for(lambda c: c.method == "chat.update" and c.body.get("channel") == channel, mark=mark)[0]
    assert "more provision" not in text_of(updated.blocks).lower()
    assert refusals(app, colleague) == []


def test_only_the_asker_may_escalate_and_other_presses_are_audited(slack, standin, app):
    owner, intruder = uid("U"), uid("U")
    channel, answer = ask_in_dm(slack, standin, owner)
    value = button(answer.blocks, "escalate")["value"]
    view, _ = open_modal(slack, standin, intruder, "escalate", value, channel=channel, message_ts=answer.response["ts"])
    assert "Only the person who asked" in text_of(view["blocks"])
    [refused] = refusals(app, intruder)
    assert refused["detail"].startswith("escalate: answer " + value)


def test_an_escalation_form_altered_to_name_another_answer_is_refused(slack, standin, app):
    owner, intruder = uid("U"), uid("U")
    _, theirs = ask_in_dm(slack, standin, owner, SERIOUS + " Project Nightjar.")
    their_id = button(theirs.blocks, "escalate")["value"]
    channel, mine = ask_in_dm(slack, standin, intruder)
    view, _ = open_modal(slack, standin, intruder, "escalate", button(mine.blocks, "escalate")["value"],
                         channel=channel, message_ts=mine.response["ts"])
    meta = json.loads(view["private_metadata"])
    hook = standin.response_url(f"attacker/{uid('X')}")
    forged = [
        {**meta, "a": their_id},  # copy their question into my case
        {**meta, "r": hook},  # make the server post where I say
        {**meta, "c": ADVISORS_CHANNEL, "t": "1700000000.000001"},  # overwrite the advisors' notice
        {k: v for k, v in meta.items() if k != "m"} | {"a": their_id},  # without the seal at all
    ]
    mark = standin.mark()
    for metadata in forged:
        reply = slack.submit(intruder, {**view, "private_metadata": json.dumps(metadata)}, {"urgency": ("select", "high")})
        assert reply.status == 200
    time.sleep(1.0)
    assert app.rows("SELECT * FROM escalations WHERE asker_id = ?", (intruder,)) == [], "no case was made"
    calls = standin.since(mark)
    assert not [c for c in calls if "attacker" in c.path], "nothing was posted to the forged response URL"
    assert not [c for c in calls if c.method == "chat.update"], "no message was overwritten"
    assert "Nightjar" not in "\n".join(c.text for c in calls)
    assert len([r for r in refusals(app, intruder) if "altered" in r["detail"]]) == len(forged)

    # The form as the app wrote it still works.
    slack.submit(intruder, view, {"urgency": ("select", "high")})
    app.wait_rows("SELECT * FROM escalations WHERE asker_id = ?", (intruder,))


def test_claims_on_cases_that_do_not_exist_are_audited(slack, standin, app):
    for person in (ADVISOR, uid("U")):
        mark = standin.mark()
        slack.click(person, "claim", "CP-99999", channel=ADVISORS_CHANNEL, message_ts="1.000001")
        standin.wait_for(lambda c: c.method == "chat.postEphemeral" and c.body.get("user") == person, mark=mark)
        refused = [r for r in refusals(app, person) if r["ref"] == "CP-99999"]
        assert refused and "no case CP-99999" in refused[-1]["detail"]


def test_the_capacity_button_of_ones_own_answer_still_works(slack, standin, app):
    user = uid("U")
    _, answer = ask_in_dm(slack, standin, user, CAPACITY_QUESTION)
    official = button(answer.blocks, "capacity:official")
    replied, _ = press(slack, standin, user, "capacity:official", official["value"], uid("D"),
                       block_id=official["block_id"])
    assert replied.body.get("replace_original") and "official capacity" in text_of(replied.body["blocks"])
    assert refusals(app, user) == []
