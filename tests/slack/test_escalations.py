"""Escalations in Slack: the asker escalates, the advisors are told, one claims and resolves,
the asker is told; only advisors may claim or resolve; the App Home shows where things stand."""

from __future__ import annotations

import subprocess
import sys
import time

from canipost.config import Settings
from canipost.slack.app import Advisors, make_client

from .conftest import ADVISOR, ADVISORS_CHANNEL
from .driver import button, buttons, text_of, uid
from .limits import check_blocks, check_view

SERIOUS = ("Last night I tweeted that the Opposition Leader is a liar. A journalist has screenshotted it and "
           "tagged my department. My email is sam.lee@agency.gov.au")


def ask_in_dm(slack, standin, user, text=SERIOUS):
    channel = uid("D")
    slack.message(text, user, channel)
    answer = standin.wait_for(lambda c: c.method == "chat.postMessage" and c.body.get("channel") == channel)[0]
    return channel, answer


def open_modal(slack, standin, user, action_id, value, **where):
    trigger = f"t.{uid('T')}"
    mark = standin.mark()
    slack.click(user, action_id, value, trigger_id=trigger, **where)
    opened = standin.wait_for(lambda c: c.method == "views.open" and c.body.get("trigger_id") == trigger, mark=mark)[0]
    return {**opened.view, "id": opened.response["view"]["id"]}, mark


def escalate(slack, standin, app, asker, text=SERIOUS, **values):
    channel, answer = ask_in_dm(slack, standin, asker, text)
    escalate_button = button(answer.blocks, "escalate")
    assert escalate_button.get("style") == "primary", "the answer recommends it"
    view, _ = open_modal(slack, standin, asker, "escalate", escalate_button["value"],
                         block_id=escalate_button["block_id"], channel=channel, message_ts=answer.response["ts"])
    check_view(view)
    assert view["callback_id"] == "escalate_submit"
    mark = standin.mark()
    reply = slack.submit(asker, view, {"plan": None, "context": "It is for tomorrow morning.",
                                       "urgency": ("select", "high"), **values})
    assert reply.status == 200 and reply.json()["response_action"] == "update"
    notice = standin.wait_for(lambda c: c.method == "chat.postMessage" and c.body.get("channel") == ADVISORS_CHANNEL
                              and asker in c.raw, mark=mark)[0]
    # The last steps: the asker's confirmation, and the answer marked as escalated; the case is
    # read after them, so that it shows where its notice was posted.
    standin.wait_for(lambda c: c.method == "views.update" and c.body.get("view_id") == view["id"], mark=mark)
    standin.wait_for(lambda c: c.method == "chat.update" and c.body.get("channel") == channel, mark=mark)
    case = app.wait_rows("SELECT * FROM escalations WHERE asker_id = ?", (asker,))[0]
    return case, notice, view, channel, answer, mark


def test_escalate_notice_claim_resolve_and_the_asker_is_told(slack, standin, app):
    asker = uid("U")
    case, notice, view, channel, answer, mark = escalate(slack, standin, app, asker)
    ref = case["ref"]
    assert case["urgency"] == "high" and case["context"] == "It is for tomorrow morning."
    assert case["source_key"] == f"slack:view:{view['id']}" and case["verdict"] == "do-not-post"
    assert "sam.lee@agency.gov.au" not in case["text"] and case["personal_details"] == "masked"

    # The advisors' channel gets the case, with Claim and Resolve.
    check_blocks(notice.blocks)
    assert ref in notice.body["text"] and [b["action_id"] for b in buttons(notice.blocks)] == ["claim", "resolve"]
    assert f"<@{asker}>" not in notice.raw, "the asker is named, not pinged, in the advisors' channel"
    # The asker sees the reference, in the modal and on the answer itself.
    confirmation = standin.wait_for(lambda c: c.method == "views.update" and c.body.get("view_id") == view["id"],
                                    mark=mark)[0]
    assert ref in text_of(confirmation.blocks)
    marked = standin.wait_for(lambda c: c.method == "chat.update" and c.body.get("channel") == channel, mark=mark)[0]
    assert ref in text_of(marked.blocks) and "escalate" not in {b["action_id"] for b in buttons(marked.blocks)}

    # Submitting the same modal again (a retry, a double click) makes no second case.
    slack.submit(asker, view, {"urgency": ("select", "high")})
    time.sleep(0.5)
    assert len(app.rows("SELECT * FROM escalations WHERE asker_id = ?", (asker,))) == 1
    assert len([c for c in standin.since(mark, "chat.postMessage") if c.body.get("channel") == ADVISORS_CHANNEL
                and asker in c.raw]) == 1, "announced once"

    # An advisor claims it: the notice shows who has it.
    where = dict(channel=ADVISORS_CHANNEL, message_ts=notice.response["ts"])
    mark = standin.mark()
    slack.click(ADVISOR, "claim", ref, **where)
    claimed = standin.wait_for(lambda c: c.method == "chat.update" and c.body.get("ts") == notice.response["ts"],
                               mark=mark)[0]
    assert "Claimed" in text_of(claimed.blocks) and [b["action_id"] for b in buttons(claimed.blocks)] == ["resolve"]
    time.sleep(0.2)
    assert len([c for c in standin.since(mark) if c.method == "chat.update"]) == 1, "the notice is updated once"

    # Resolving asks for the answer in a modal, with the option of a precedent.
    resolve_view, _ = open_modal(slack, standin, ADVISOR, "resolve", ref, **where)
    check_view(resolve_view)
    assert resolve_view["callback_id"] == "resolve_submit"
    mark = standin.mark()
    advice = "Delete the tweet, tell your manager today, and do not reply to the journalist. <!channel>"
    reply = slack.submit(ADVISOR, resolve_view, {"answer": advice, "precedent": ("checkboxes", ["yes"])})
    assert reply.json()["response_action"] == "update"
    told = standin.wait_for(lambda c: c.method == "chat.postMessage" and c.body.get("channel") == asker, mark=mark)[0]
    assert ref in told.body["text"] and "Delete the tweet" in text_of(told.blocks)
    assert "<!channel>" not in told.text and f"<@{ADVISOR}>" in text_of(told.blocks)
    resolved = standin.wait_for(lambda c: c.method == "chat.update" and c.body.get("ts") == notice.response["ts"],
                                mark=mark)[0]
    assert "Resolved" in text_of(resolved.blocks) and buttons(resolved.blocks) == []
    done = app.rows("SELECT * FROM escalations WHERE ref = ?", (ref,))[0]
    assert done["status"] == "resolved" and done["assignee_id"] == ADVISOR and done["resolution"].startswith("Delete")
    assert app.rows("SELECT * FROM precedents WHERE escalation_id = ?", (done["id"],))
    actions = [r["action"] for r in app.rows("SELECT action FROM audit WHERE ref = ? ORDER BY id", (ref,))]
    assert actions == ["created", "claimed", "resolved"]

    # Later, someone asking much the same sees the advisors' answer.
    _, later = ask_in_dm(slack, standin, uid("U"), SERIOUS.split(" My email")[0])
    assert "An ethics advisor answered a similar question" in text_of(later.blocks)


def test_only_advisors_may_claim_or_resolve(slack, standin, app):
    asker, outsider = uid("U"), uid("U")
    case, notice, *_ = escalate(slack, standin, app, asker)
    ref = case["ref"]
    where = dict(channel=ADVISORS_CHANNEL, message_ts=notice.response["ts"])
    for person, action in ((outsider, "claim"), (outsider, "resolve"), (asker, "resolve")):
        mark, trigger = standin.mark(), f"t.{uid('T')}"
        slack.click(person, action, ref, trigger_id=trigger, **where)
        refusal = standin.wait_for(lambda c: c.method == "chat.postEphemeral" and c.body.get("user") == person,
                                   mark=mark)[0]
        assert refusal.body["channel"] == ADVISORS_CHANNEL and "only the ethics advisors" in refusal.body["text"]
        time.sleep(0.3)
        assert not [c for c in standin.since(mark) if c.body.get("trigger_id") == trigger
                    or c.body.get("ts") == notice.response["ts"]], "no form opened, the notice unchanged"
    assert app.rows("SELECT status FROM escalations WHERE ref = ?", (ref,))[0]["status"] == "open"
    refused = app.rows("SELECT actor_id, detail FROM audit WHERE ref = ? AND action = 'refused'", (ref,))
    assert [r["actor_id"] for r in refused] == [outsider, outsider, asker]


def test_an_answer_can_be_escalated_only_by_its_asker_and_only_while_kept(slack, standin, app):
    asker = uid("U")
    channel, answer = ask_in_dm(slack, standin, asker)
    escalate_button = button(answer.blocks, "escalate")
    view, _ = open_modal(slack, standin, uid("U"), "escalate", escalate_button["value"], channel=channel,
                         message_ts=answer.response["ts"])
    assert "Only the person who asked" in text_of(view["blocks"])
    view, _ = open_modal(slack, standin, asker, "escalate", "NoSuchAnswer", channel=channel,
                         message_ts=answer.response["ts"])
    assert "no longer available" in text_of(view["blocks"])


def test_contact_details_are_kept_only_if_the_asker_says_so(slack, standin, app):
    asker = uid("U")
    case, *_ = escalate(slack, standin, app, asker, keep_details=("checkboxes", ["keep"]))
    assert "sam.lee@agency.gov.au" in case["text"] and case["personal_details"] == "kept"


def test_app_home_for_staff_and_for_advisors(slack, standin, app):
    asker = uid("U")
    case, notice, *_ = escalate(slack, standin, app, asker)
    assert (case["notice_channel"], case["notice_ts"]) == (ADVISORS_CHANNEL, notice.response["ts"])
    mark = standin.mark()
    slack.home_opened(asker)
    home = standin.wait_for(lambda c: c.method == "views.publish" and c.body.get("user_id") == asker, mark=mark)[0]
    check_view(home.view)
    text = text_of(home.view["blocks"])
    assert "Your escalations" in text and case["ref"] in text and "open" in text
    assert "the queue" not in text and buttons(home.view["blocks"]) == []

    slack.home_opened(ADVISOR)
    home = standin.wait_for(lambda c: c.method == "views.publish" and c.body.get("user_id") == ADVISOR, mark=mark)[0]
    check_view(home.view)
    assert "Ethics advisors: the queue" in text_of(home.view["blocks"]) and case["ref"] in text_of(home.view["blocks"])
    claim = [b for b in buttons(home.view["blocks"]) if b["action_id"] == "claim" and b["value"] == case["ref"]]
    assert claim

    # Claiming from the Home tab refreshes the tab.
    mark = standin.mark()
    slack.click(ADVISOR, "claim", case["ref"], view={"id": home.response["view"]["id"], "type": "home"})
    refreshed = standin.wait_for(lambda c: c.method == "views.publish" and c.body.get("user_id") == ADVISOR,
                                 mark=mark)[0]
    assert "claimed by you" in text_of(refreshed.view["blocks"])
    assert app.rows("SELECT status FROM escalations WHERE ref = ?", (case["ref"],))[0]["status"] == "claimed"
    # ... and the notice in the advisors' channel, so no one else picks it up.
    claimed = standin.wait_for(lambda c: c.method == "chat.update" and c.body.get("ts") == notice.response["ts"],
                               mark=mark)[0]
    assert "Claimed" in text_of(claimed.blocks)

    # Resolving from the Home tab brings both up to date too.
    home_view = {"id": home.response["view"]["id"], "type": "home"}
    resolve_view, mark = open_modal(slack, standin, ADVISOR, "resolve", case["ref"], view=home_view)
    slack.submit(ADVISOR, resolve_view, {"answer": "Fine as it is: it states facts already published."})
    resolved = standin.wait_for(lambda c: c.method == "chat.update" and c.body.get("ts") == notice.response["ts"],
                                mark=mark)[0]
    assert "Resolved" in text_of(resolved.blocks) and buttons(resolved.blocks) == []
    standin.wait_for(lambda c: c.method == "views.publish" and c.body.get("user_id") == ADVISOR, mark=mark)


def test_advisors_as_a_user_group_are_asked_of_slack_and_remembered(standin):
    standin.group_members["S0ETHICS"] = ["U0ALEX", "U0KIM"]
    settings = Settings(slack_bot_token="xoxb-1-2-x", slack_api_url=standin.api_url, advisors_group="S0ETHICS")
    now = [0.0]
    advisors = Advisors(settings, make_client(settings), ttl=300, clock=lambda: now[0])
    mark = standin.mark()
    assert advisors.known("U0ALEX") is None
    assert advisors.check("U0ALEX") and not advisors.check("U0OTHER") and advisors.check("U0KIM")
    assert len(standin.since(mark, "usergroups.users.list")) == 1, "asked once, then remembered"
    now[0] = 301
    standin.fail("usergroups.users.list", error="ratelimited")
    assert advisors.check("U0KIM"), "Slack failing: the last list known still counts"
    fresh = Advisors(settings, make_client(settings))
    standin.fail("usergroups.users.list", error="missing_scope")
    assert not fresh.check("U0ALEX"), "no list at all: nobody is an advisor"


def test_with_a_user_group_resolve_holds_the_trigger_with_a_loading_view(standin, start_app):
    """Finding out who is in the group takes a call to Slack; the modal opens first."""
    from canipost.store import Actor, Store

    from .conftest import SECRET
    from .driver import Slack

    group, member, outsider = "S0GROUP" + uid("X")[2:], uid("U"), uid("U")
    standin.group_members[group] = [member]
    standin.slow("usergroups.users.list", 0.5, when=lambda c: c.body.get("usergroup") == group)
    running = start_app({"CANIPOST_ADVISORS": group})
    with Store(running.db_path) as store:
        ref = store.escalations.create(asker=Actor(uid("U"), "Sam"), text="Can I post this?", profile="au-aps",
                                       answer={"verdict": "caution", "profile": "au-aps"}).ref
    slack = Slack(running.url, SECRET, standin)
    trigger, mark = f"t.{uid('T')}", standin.mark()
    slack.click(member, "resolve", ref, channel=ADVISORS_CHANNEL, message_ts="1.000001", trigger_id=trigger)
    update = standin.wait_for(lambda c: c.method == "views.update" and c.view.get("callback_id") == "resolve_submit",
                              mark=mark)[0]
    calls = standin.since(mark)
    methods = [c.method for c in calls]
    opened = methods.index("views.open")
    assert calls[opened].body["trigger_id"] == trigger and "Just a moment" in text_of(calls[opened].view["blocks"])
    assert opened < methods.index("usergroups.users.list") < calls.index(update)
    assert update.body["view_id"] == calls[opened].response["view"]["id"]

    # The group's members are now known: an outsider is refused at once, without a modal.
    mark, trigger = standin.mark(), f"t.{uid('T')}"
    slack.click(outsider, "resolve", ref, channel=ADVISORS_CHANNEL, message_ts="1.000001", trigger_id=trigger)
    standin.wait_for(lambda c: c.method == "chat.postEphemeral" and c.body.get("user") == outsider, mark=mark)
    time.sleep(0.3)
    assert not [c for c in standin.since(mark) if c.method in ("views.open", "usergroups.users.list")]


def test_a_case_resolved_on_the_command_line_reaches_the_asker_in_slack(slack, standin, app):
    asker = uid("U")
    question = ("Yesterday I posted a photo from the visa office that showed a client's file on my Instagram "
                "story. What should I do now?")
    case, notice, *_ = escalate(slack, standin, app, asker, question)
    ref = case["ref"]

    def canipost(*args):
        return subprocess.run([sys.executable, "-m", "canipost", "escalations", *args], env=app.env, cwd=app.root,
                              capture_output=True, text=True, timeout=60)

    mark = standin.mark()
    claimed = canipost("claim", ref, "--by", "Alex")
    assert claimed.returncode == 0, claimed.stderr
    update = standin.wait_for(lambda c: c.method == "chat.update" and c.body.get("ts") == notice.response["ts"],
                              mark=mark)[0]
    assert "Claimed" in text_of(update.blocks) and "Alex" in text_of(update.blocks)

    # Slack refuses the first try at the asker's message: the advisor is told to pass the answer on.
    standin.fail("chat.postMessage", when=lambda c: c.body.get("channel") == asker, error="channel_not_found")
    first = canipost("resolve", ref, "--by", "Alex", "--answer", "Keep it factual and leave out the names.")
    assert first.returncode == 0, first.stderr
    assert "could not be sent the answer in Slack (channel_not_found)" in first.stdout
    assert app.rows("SELECT status FROM escalations WHERE ref = ?", (ref,))[0]["status"] == "resolved"

    # Resolved again after a reopen, it goes through, and the notice shows it.
    assert canipost("reopen", ref, "--by", "Alex", "--reason", "Add the contact.").returncode == 0
    mark = standin.mark()
    second = canipost("resolve", ref, "--by", "Alex", "--answer", "Keep it factual; ask Sam if unsure.",
                      "--precedent")
    assert "The asker was sent the answer in Slack." in second.stdout
    told = standin.wait_for(lambda c: c.method == "chat.postMessage" and c.body.get("channel") == asker, mark=mark)[0]
    assert "ask Sam if unsure" in text_of(told.blocks)
    resolved = standin.wait_for(lambda c: c.method == "chat.update" and c.body.get("ts") == notice.response["ts"],
                                mark=mark)[0]
    assert "Resolved" in text_of(resolved.blocks)

    # The running app searches the precedent the command line shared.
    _, later = ask_in_dm(slack, standin, uid("U"), question)
    assert "An ethics advisor answered a similar question" in text_of(later.blocks)
    assert "ask Sam if unsure" in text_of(later.blocks)
