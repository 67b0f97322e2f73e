"""The "Check before posting" message shortcut: checks the text of any message, and answers
only the person who used it."""

from __future__ import annotations

from .. import blocks
from ..app import Services
from ..manifest import SHORTCUT_CALLBACK_ID
from .common import Turn, give_answer, queued


def register(app, services: Services) -> None:
    app.shortcut(SHORTCUT_CALLBACK_ID)(queued(services, check_message))


def check_message(turn: Turn) -> None:
    message = turn.body.get("message") or {}
    text = blocks.from_slack(message.get("text") or "")
    if not text.strip():
        turn.respond(*blocks.message("That message has no text I can check (only files or attachments). "
                                     "Paste what you would post into `/canipost` instead."))
        return
    given = give_answer(turn, text, mode="check", capacity=None, source="shortcut")
    turn.respond(given.text, given.blocks)
    given.delivered()
