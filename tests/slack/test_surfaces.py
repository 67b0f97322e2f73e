"""Every way to ask, as a Slack user would: mentions, direct messages, thread replies, the
slash command and its modal, the message shortcut, and the buttons on an answer."""

from __future__ import annotations

import json
import time

from canipost.slack.blocks import PROVISIONS_SHOWN

from .driver import button, buttons, text_of, uid
from .limits import check_blocks, check_view

BIO_QUESTION = "Can I put 'Policy Officer at the Department of Health' in my Twitter bio?"  # more than 3 provisions
CAPACITY_QUESTION = "Can I tweet about our new grants program?"  # its answer depends on the capacity
MARKED = "PROTECTED: the draft budget figures for next year, thoughts?"


def posted(standin, channel, mark=0, count=1):
    return standin.wait_for(lambda c: c.method == "chat.postMessage" and c.body.get("channel") == channel,
                            count=count, mark=mark)


def to_url(standin, url, count=1, mark=0):
    return standin.wait_for(lambda c: c.method == "response_url" and standin.url + c.path == url, count=count,
                            mark=mark)


# -- mentions, direct messages, threads ----------------------------------------------------

def test_a_mention_is_answered_in_a_thread_and_replies_there_ask_again(slack, standin, app):
    user, channel = uid("U"), uid("C")
    reply, ts = slack.mention(BIO_QUESTION, user, channel)
    assert reply.status == 200 and reply.body == ""
    answer = posted(standin, channel)[0]
    assert answer.body["thread_ts"] == ts
    assert answer.body["text"].startswith("POST WITH CARE")
    check_blocks(answer.blocks)
    logged = app.rows("SELECT * FROM answers WHERE channel = ?", (channel,))
    assert len(logged) == 1 and logged[0]["mode"] == "ask" and logged[0]["text"] == BIO_QUESTION
    assert "<@" not in logged[0]["text"], "the bot's own mention is not part of the question"

    # A reply in that thread, without a mention, asks again with its own text.
    slack.message("And what about a disclaimer that my views are my own?", user, channel,
                  channel_type="channel", thread_ts=ts)
    again = posted(standin, channel, count=2)[1]
    assert again.body["thread_ts"] == ts
    assert app.rows("SELECT text FROM answers WHERE channel = ? ORDER BY created_at", (channel,))[1]["text"] \
        == "And what about a disclaimer that my views are my own?"


def test_a_mention_inside_someone_else_s_thread_does_not_adopt_the_thread(slack, standin):
    user, channel = uid("U"), uid("C")
    reply, ts = slack.mention(BIO_QUESTION, user, channel, thread_ts="99.000001")
    assert posted(standin, channel)[0].body["thread_ts"] == "99.000001"
    mark = standin.mark()
    slack.message("Sounds good, thanks all", uid("U"), channel, channel_type="channel", thread_ts="99.000001")
    standin.wait_for(lambda c: c.method == "conversations.replies" and c.body.get("channel") == channel, mark=mark)
    time.sleep(0.5)
    assert not [c for c in standin.since(mark, "chat.postMessage") if c.body.get("channel") == channel]


def test_other_channel_messages_are_left_alone(slack, standin):
    user, channel = uid("U"), uid("C")
    mark = standin.mark()
    slack.message("Can I post this to LinkedIn?", user, channel, channel_type="channel")  # not a thread
    slack.message("Can I post this?", user, channel, channel_type="channel", thread_ts="123.456")  # not our thread
    slack.message("edited", user, channel, channel_type="im", subtype="message_changed")
    slack.message("from a bot", user, channel, channel_type="im", bot_id="B0OTHER")
    checked = standin.wait_for(lambda c: c.method == "conversations.replies" and c.body.get("channel") == channel,
                               mark=mark)
    assert checked[0].body["ts"] == "123.456"
    time.sleep(0.8)
    assert [c.method for c in standin.since(mark) if channel in c.raw] == ["conversations.replies"]


def test_a_direct_message_is_answered_in_place(slack, standin):
    user, channel = uid("U"), uid("D")
    slack.message("Can I share my team's award on LinkedIn?", user, channel)
    answer = posted(standin, channel)[0]
    assert answer.body.get("thread_ts") is None
    assert {"escalate", "feedback:helpful", "feedback:not_helpful"} <= {b["action_id"] for b in buttons(answer.blocks)}


def test_a_mention_with_no_question_gets_the_help(slack, standin):
    user, channel = uid("U"), uid("C")
    reply, ts = slack.mention("", user, channel)
    answer = posted(standin, channel)[0]
    assert answer.body["thread_ts"] == ts and "/canipost" in text_of(answer.blocks)


def test_a_question_nothing_matches_is_noted_as_a_gap(slack, standin, app):
    user, channel = uid("U"), uid("D")
    slack.message("What is the airspeed velocity of an unladen swallow?", user, channel)
    posted(standin, channel)
    rows = app.wait_rows("SELECT * FROM feedback WHERE kind = 'unmatched' AND user_id = ?", (user,))
    assert rows[0]["answer_id"]


# -- the slash command and its modal -------------------------------------------------------

def test_the_slash_command_checks_a_draft_ephemerally(slack, standin, app):
    user, channel = uid("U"), uid("C")
    url = standin.response_url(f"commands/{uid('R')}")
    reply = slack.command(MARKED, user, channel, response_url=url)
    assert reply.status == 200 and reply.body == ""
    answer = to_url(standin, url)[0]
    assert answer.body["response_type"] == "ephemeral" and answer.body["replace_original"] is False
    assert answer.body["text"].startswith("DO NOT POST") and "PROTECTED" in text_of(answer.blocks)
    check_blocks(answer.blocks)
    row = app.rows("SELECT * FROM answers WHERE user_id = ?", (user,))[0]
    assert row["mode"] == "check" and row["capacity"] == "personal"


def test_capacity_flags(slack, standin, app):
    user = uid("U")
    for text, capacity in (("--official Our new grants portal opens today!", "official"),
                           ("\u2014professional As an economist, inflation looks sticky", "professional")):
        url = standin.response_url(f"commands/{uid('R')}")
        slack.command(text, user, uid("C"), response_url=url)
        answer = to_url(standin, url)[0]
        assert f"{capacity} capacity" in text_of(answer.blocks)
    assert {r["capacity"] for r in app.rows("SELECT capacity FROM answers WHERE user_id = ?", (user,))} == \
        {"official", "professional"}


def test_help_and_bad_options_are_answered_in_the_acknowledgement(slack, standin):
    user, urls = uid("U"), [standin.response_url(f"commands/{uid('R')}") for _ in range(2)]
    help_reply = slack.command("help", user, uid("C"), response_url=urls[0])
    assert help_reply.status == 200
    body = help_reply.json()
    assert body["response_type"] == "ephemeral" and "--official" in text_of(body["blocks"])
    bad = slack.command("--loudly <!channel> hello", user, uid("C"), response_url=urls[1]).json()
    assert "--loudly" in bad["text"] and "--official" in bad["text"] and "<!channel>" not in json.dumps(bad)
    time.sleep(0.5)
    assert not [c for c in standin.since() if standin.url + c.path in urls or user in c.raw], \
        "nothing more to do after the acknowledgement"


def test_the_command_alone_opens_a_modal_and_its_answer_comes_back_ephemerally(slack, standin, app):
    user, channel = uid("U"), uid("C")
    url = standin.response_url(f"commands/{uid('R')}")
    trigger = f"modal.{uid('T')}"
    slack.command("--official", user, channel, response_url=url, trigger_id=trigger)
    opened = standin.wait_for(lambda c: c.method == "views.open" and c.body.get("trigger_id") == trigger)[0]
    view = {**opened.view, "id": opened.response["view"]["id"]}
    check_view(view)
    assert view["callback_id"] == "check_draft"
    capacity_block = next(b for b in view["blocks"] if b.get("block_id") == "capacity")
    assert capacity_block["element"]["initial_option"]["value"] == "official"

    reply = slack.submit(user, view, {"draft": "Line one\nPROTECTED line two <!channel>", "capacity": ("radio", "official")})
    assert reply.status == 200 and reply.body == "", "the modal closes"
    answer = to_url(standin, url)[0]
    assert answer.body["response_type"] == "ephemeral" and "official capacity" in text_of(answer.blocks)
    # Typed into a modal, the text is plain: shown as typed, escaped, never a ping.
    assert "&lt;!channel&gt;" in answer.raw and "<!channel>" not in answer.text
    assert app.rows("SELECT channel FROM answers WHERE user_id = ?", (user,))[0]["channel"] == channel


def test_a_modal_answer_after_the_response_url_expired_comes_as_a_direct_message(slack, standin):
    user, channel = uid("U"), uid("C")
    url = standin.response_url(f"commands/{uid('R')}")
    standin.fail("response_url", when=lambda c: standin.url + c.path == url, status=404, error="expired_url")
    trigger = f"modal.{uid('T')}"
    slack.command("", user, channel, response_url=url, trigger_id=trigger)
    opened = standin.wait_for(lambda c: c.method == "views.open" and c.body.get("trigger_id") == trigger)[0]
    slack.submit(user, {**opened.view, "id": opened.response["view"]["id"]}, {"draft": MARKED, "capacity": ("radio", None)})
    dm = posted(standin, user)[0]
    assert dm.body["text"].startswith("DO NOT POST")


def test_a_huge_draft_and_odd_unicode_never_break_the_answer(slack, standin):
    user = uid("U")
    unit = "PROTECTED call me on 0412 345 678 or sam.lee@agency.gov.au <!here> \U0001F469\u200d\U0001F4BB \u202eevil "
    draft = (unit * (40_000 // len(unit) + 1))[:40_000]
    url = standin.response_url(f"commands/{uid('R')}")
    slack.command(draft, user, uid("C"), response_url=url)
    answer = to_url(standin, url, mark=0)[0]
    check_blocks(answer.blocks)
    assert answer.body["text"].startswith("DO NOT POST") and "<!here>" not in answer.text
    assert len(json.dumps(answer.body)) < 200_000

    url = standin.response_url(f"commands/{uid('R')}")
    slack.command("x" * 45_000, user, uid("C"), response_url=url)
    refusal = to_url(standin, url)[0]
    assert "45,000 characters" in refusal.body["text"]

    channel = uid("D")
    slack.message("Can I post this? \ud800 \u0301\u0301 \U0001F1E6\U0001F1FA \u202e\u2066 zero\u200bwidth", user, channel)
    dm = posted(standin, channel)[0]
    check_blocks(dm.blocks)


# -- the message shortcut ------------------------------------------------------------------

def test_check_before_posting_checks_any_message_for_whoever_used_it(slack, standin):
    user, channel = uid("U"), uid("C")
    url = standin.response_url(f"actions/{uid('R')}")
    reply = slack.shortcut("<!channel> the minister is an idiot and PROTECTED figures attached", user, channel, url)
    assert reply.status == 200
    answer = to_url(standin, url)[0]
    assert answer.body["response_type"] == "ephemeral" and answer.body["text"].startswith("DO NOT POST")
    assert "<!channel>" not in answer.text

    url = standin.response_url(f"actions/{uid('R')}")
    slack.shortcut("", user, channel, url)
    assert "no text" in to_url(standin, url)[0].body["text"]


# -- buttons on an answer ------------------------------------------------------------------

def test_the_questions_these_tests_ask_have_what_the_tests_need(engine):
    assert all(engine.answer(CAPACITY_QUESTION, mode=mode).capacity_matters for mode in ("ask", "check"))
    assert len(engine.answer(BIO_QUESTION, mode="ask").provisions) > PROVISIONS_SHOWN


def test_choosing_a_capacity_updates_the_answer_in_place(slack, standin, app):
    user, channel = uid("U"), uid("C")
    _, ts = slack.mention(CAPACITY_QUESTION, user, channel)
    answer = posted(standin, channel)[0]
    official = button(answer.blocks, "capacity:official")
    mark = standin.mark()
    slack.click(uid("U"), "capacity:official", official["value"], block_id=official["block_id"], channel=channel,
                message_ts=answer.response["ts"])
    update = standin.wait_for(lambda c: c.method == "chat.update" and c.body.get("channel") == channel, mark=mark)[0]
    assert update.body["ts"] == answer.response["ts"]
    assert "official capacity" in text_of(update.blocks) and "(assumed" not in text_of(update.blocks)
    assert not [b for b in buttons(update.blocks) if b["action_id"].startswith("capacity:")]
    check_blocks(update.blocks)
    rows = app.rows("SELECT user_id, capacity FROM answers WHERE channel = ? ORDER BY created_at", (channel,))
    assert [r["capacity"] for r in rows] == ["personal", "official"]
    assert {r["user_id"] for r in rows} == {user}, "still the asker's answer"


def test_capacity_on_an_ephemeral_answer_replaces_it_through_the_response_url(slack, standin):
    user = uid("U")
    url = standin.response_url(f"commands/{uid('R')}")
    slack.command(CAPACITY_QUESTION, user, uid("C"), response_url=url)
    answer = to_url(standin, url)[0]
    personal = button(answer.blocks, "capacity:professional")
    action_url = standin.response_url(f"actions/{uid('R')}")
    slack.click(user, "capacity:professional", personal["value"], block_id=personal["block_id"], channel=uid("C"),
                message_ts="1.1", ephemeral=True, response_url=action_url)
    replaced = to_url(standin, action_url)[0]
    assert replaced.body["replace_original"] is True and "professional capacity" in text_of(replaced.blocks)


def test_more_provisions_expands_the_answer_in_place(slack, standin, engine):
    cited = len(engine.answer(BIO_QUESTION, mode="ask").provisions)
    last = f"*{cited}. "
    user, channel = uid("U"), uid("D")
    slack.message(BIO_QUESTION, user, channel)
    answer = posted(standin, channel)[0]
    more = button(answer.blocks, "more_provisions")
    assert f"Show {cited - PROVISIONS_SHOWN} more provision" in more["text"]["text"]
    assert last not in text_of(answer.blocks)
    slack.click(user, "more_provisions", more["value"], block_id=more["block_id"], channel=channel,
                message_ts=answer.response["ts"])
    update = standin.wait_for(lambda c: c.method == "chat.update" and c.body.get("channel") == channel)[0]
    assert last in text_of(update.blocks) and "more_provisions" not in {b["action_id"] for b in buttons(update.blocks)}
    # The expanded state is kept when the answer is re-rendered again.
    helpful = button(update.blocks, "feedback:helpful")
    slack.click(user, "feedback:helpful", helpful["value"], block_id=helpful["block_id"], channel=channel,
                message_ts=answer.response["ts"])
    again = standin.wait_for(lambda c: c.method == "chat.update" and c.body.get("channel") == channel, count=2)[1]
    assert last in text_of(again.blocks) and "Thanks for the feedback" in text_of(again.blocks)


def test_feedback_is_recorded(slack, standin, app):
    user, channel = uid("U"), uid("C")
    slack.mention(BIO_QUESTION, user, channel)
    answer = posted(standin, channel)[0]
    not_helpful = button(answer.blocks, "feedback:not_helpful")
    voter = uid("U")
    url = standin.response_url(f"actions/{uid('R')}")
    slack.click(voter, "feedback:not_helpful", not_helpful["value"], block_id=not_helpful["block_id"],
                channel=channel, message_ts=answer.response["ts"], response_url=url)
    thanks = to_url(standin, url)[0]
    assert thanks.body["response_type"] == "ephemeral" and "Thanks" in thanks.body["text"]
    row = app.wait_rows("SELECT * FROM feedback WHERE user_id = ?", (voter,))[0]
    assert row["kind"] == "not-helpful" and row["answer_id"] == not_helpful["value"]
    assert row["question"] == BIO_QUESTION and row["verdict"] == "caution"


def test_every_surface_escapes_what_it_echoes(slack, standin):
    """Whatever a draft holds, no call to Slack carries a live @channel, @here or user mention."""
    mark = standin.mark()
    user = uid("U")
    nasty = "<!channel> <!here> <@U0VICTIM> <!subteam^S0ALL> PROTECTED plans & <b>bold</b>"
    slack.mention(nasty, user, uid("C"))
    slack.message(nasty, user, uid("D"))
    url = standin.response_url(f"commands/{uid('R')}")
    slack.command(nasty, user, uid("C"), response_url=url)
    slack.shortcut(nasty, user, uid("C"), standin.response_url(f"actions/{uid('R')}"))
    trigger = f"modal.{uid('T')}"
    slack.command("", user, uid("C"), response_url=standin.response_url(f"commands/{uid('R')}"), trigger_id=trigger)
    opened = standin.wait_for(lambda c: c.method == "views.open" and c.body.get("trigger_id") == trigger, mark=mark)[0]
    slack.submit(user, {**opened.view, "id": opened.response["view"]["id"]}, {"draft": nasty})
    answers = standin.wait_for(lambda c: c.method in ("chat.postMessage", "response_url")
                               and "DO NOT POST" in c.raw, count=5, mark=mark)
    assert any("&lt;!channel&gt;" in c.raw for c in answers), "the modal's draft is shown as typed"
    for call in standin.since(mark):
        for ping in ("<!channel>", "<!here>", "<@U0VICTIM>", "<!subteam^S0ALL>"):
            assert ping not in call.text, f"{ping} reached Slack unescaped in {call.method}"
