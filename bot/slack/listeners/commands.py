"""``/canipost``: check a draft (only the asker sees the answer), ``help``, or, with no text,
a modal with room for a long draft.

    /canipost [--official | --professional | --personal] draft text
    /canipost help
    /canipost                      opens the modal (a capacity flag alone preselects it)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...contract import CAPACITIES
from .. import blocks
from ..app import Services
from ..manifest import COMMAND
from .common import Turn, give_answer, queued

HELP_WORDS = {"help", "--help", "-h", "?", "-?"}
# Phones and Macs turn a typed "--" into a dash; a flag is still a flag.
FLAG = re.compile(r"^(?:--|\u2014|\u2013|\u2012)([A-Za-z][A-Za-z-]*)(?=\s|$)\s*")


@dataclass(frozen=True)
class Parsed:
    kind: str  # "help", "check", "modal" or "error"
    capacity: str | None = None
    text: str = ""


def parse(raw: str) -> Parsed:
    text = blocks.from_slack(raw).strip()
    if text.lower() in HELP_WORDS:
        return Parsed("help")
    capacity = None
    while (match := FLAG.match(text)) is not None:
        flag = match.group(1).lower()
        if flag == "help":
            return Parsed("help")
        if flag not in CAPACITIES:
            return Parsed("error", text=f"I do not know the option `--{blocks.escape(flag[:40])}`. "
                                        "The options are `--official`, `--professional` and `--personal`.")
        if capacity and capacity != flag:
            return Parsed("error", text="Choose one of `--official`, `--professional` and `--personal`, not two.")
        capacity = flag
        text = text[match.end():]
    return Parsed("check" if text.strip() else "modal", capacity, text.strip())


def register(app, services: Services) -> None:
    app.command(COMMAND)(queued(services, run_command, acknowledge=acknowledge, wanted=_has_work))


def acknowledge(ack, command) -> None:
    parsed = parse(command.get("text") or "")
    if parsed.kind == "help":
        text, help_blocks = blocks.help_blocks(command.get("command") or COMMAND)
        ack(text=text, blocks=help_blocks, response_type="ephemeral")
    elif parsed.kind == "error":
        text, error_blocks = blocks.message(f"{parsed.text}\nTry `{COMMAND} help`.")
        ack(text=text, blocks=error_blocks, response_type="ephemeral")
    else:
        ack()


def _has_work(body) -> bool:
    return parse(body.get("text") or "").kind in ("check", "modal")


def run_command(turn: Turn) -> None:
    parsed = parse(turn.body.get("text") or "")
    if parsed.kind == "modal":
        # The answer goes back through this command's response URL: ephemeral, in the
        # conversation the command was typed in, whether or not canipost is a member.
        meta = turn.services.seal(r=turn.response_url, c=turn.channel_id)
        turn.client.views_open(trigger_id=turn.body["trigger_id"], view=blocks.check_modal(meta, parsed.capacity))
        return
    given = give_answer(turn, parsed.text, mode="check", capacity=parsed.capacity, source="command")
    turn.respond(given.text, given.blocks)
    given.delivered()
