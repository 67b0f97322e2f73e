"""Events API: mentions, direct messages, replies in canipost's threads, the Home tab.

Every event's work is kept in the outbox, then the event acknowledged. Messages canipost has
nothing to do with (top-level channel chatter, edits, other bots) are acknowledged by a
listener with no work at all, so they cost neither a thread nor a database write.
"""

from __future__ import annotations

from typing import Any, Mapping

from slack_sdk.errors import SlackApiError

from ...logs import log
from .. import blocks
from ..app import Services
from .common import Turn, ack_now, give_answer, queued
from .home import publish_home

ANSWERED_SUBTYPES = (None, "file_share", "thread_broadcast")


def register(app, services: Services) -> None:
    app.event("app_mention")(queued(services, answer_mention))
    app.event("message", matchers=[_not_for_us])(ack_now)
    app.event("message")(queued(services, answer_message, relevant=_in_our_conversation))
    app.event("app_home_opened")(queued(services, show_home, wanted=_home_tab))


def _wanted(event: Mapping[str, Any], bot_user_id: str | None) -> bool:
    """Whether a message event is a question for canipost, as far as the event alone tells."""
    if event.get("subtype") not in ANSWERED_SUBTYPES or event.get("bot_id") or not event.get("user"):
        return False
    if event.get("user") == bot_user_id:
        return False
    if event.get("channel_type") == "im":
        return True
    thread = event.get("thread_ts")
    if not thread or thread == event.get("ts"):
        return False  # a top-level channel message: only mentions are for canipost
    # A reply that mentions canipost also arrives as app_mention, which answers it.
    return not (bot_user_id and f"<@{bot_user_id}" in (event.get("text") or ""))


def _not_for_us(body, context) -> bool:
    return not _wanted(body.get("event") or {}, context.get("bot_user_id"))


def _in_our_conversation(turn: Turn) -> bool:
    """Direct messages always; a thread reply only in a thread canipost answered in."""
    event = turn.event
    if event.get("channel_type") == "im":
        return True
    channel, thread = event.get("channel"), event.get("thread_ts")
    threads = turn.services.threads
    known = threads.known(channel, thread)
    if known is not None:
        return known
    try:
        response = turn.client.conversations_replies(channel=channel, ts=thread, limit=1, inclusive=True)
        parent = (response.get("messages") or [{}])[0]
    except SlackApiError as exc:
        log("thread_check_failed", channel=channel, error=exc.response.get("error"))
        return False
    bot = turn.bot_user_id or ""
    # Forgotten since a restart: a thread that began with a question to canipost is its own.
    ours = bool(bot) and f"<@{bot}" in (parent.get("text") or "")
    threads.mark(channel, thread, ours)
    return ours


def answer_mention(turn: Turn) -> None:
    event = turn.event
    channel, thread = event["channel"], event.get("thread_ts") or event["ts"]
    text = blocks.from_slack(blocks.strip_mention(event.get("text") or "", turn.bot_user_id))
    _reply(turn, channel, thread, text, source="mention")
    # A thread canipost starts is its own: replies there ask again. A mention inside someone
    # else's thread is answered, and the rest of that conversation left to the people in it.
    if not event.get("thread_ts"):
        turn.services.threads.mark(channel, thread)


def answer_message(turn: Turn) -> None:
    event = turn.event
    im = event.get("channel_type") == "im"
    # In a direct message the answer goes in place, or in the thread the question is in.
    thread = event.get("thread_ts") if im else event["thread_ts"]
    text = blocks.from_slack(blocks.strip_mention(event.get("text") or "", turn.bot_user_id))
    if not text.strip() and not im:
        return
    _reply(turn, event["channel"], thread, text, source="dm" if im else "thread")


def _reply(turn: Turn, channel: str, thread: str | None, text: str, source: str) -> None:
    given = give_answer(turn, text, mode="ask", capacity=None, source=source) if text.strip() else None
    fallback, message_blocks = (given.text, given.blocks) if given else blocks.help_blocks()
    turn.post("reply", channel, thread, fallback, message_blocks)
    if given:
        given.delivered()


def _home_tab(body) -> bool:
    return (body.get("event") or {}).get("tab", "home") == "home"  # not the Messages tab


def show_home(turn: Turn) -> None:
    publish_home(turn.services, turn.client, turn.event.get("user") or turn.user_id)
