"""Buttons: on answers (escalate, more provisions, capacity, feedback) and on cases (claim,
resolve), in messages, ephemeral replies and the Home tab.

Each button carries only a short id (an answer's id in the answer log, or a case reference);
what the message currently shows rides in its block id (see :class:`blocks.Shown`).
"""

from __future__ import annotations

import re

from ...errors import CanipostError
from ...logs import log
from ...store import Actor, InvalidTransition, NotAllowed, NotFound
from .. import blocks
from ..app import Services
from .common import Turn, give_answer, queued, update_notice
from .home import publish_home

CAPACITY_ACTION = re.compile("^" + re.escape(blocks.ACTION_CAPACITY_PREFIX) + "(official|professional|personal)$")
FEEDBACK_ACTION = re.compile("^" + re.escape(blocks.ACTION_FEEDBACK_PREFIX) + "(helpful|not_helpful)$")


def register(app, services: Services) -> None:
    app.action(blocks.ACTION_ESCALATE)(queued(services, open_escalation))
    app.action(blocks.ACTION_MORE)(queued(services, show_more))
    app.action(CAPACITY_ACTION)(queued(services, choose_capacity))
    app.action(FEEDBACK_ACTION)(queued(services, give_feedback))
    app.action(blocks.ACTION_CLAIM)(queued(services, claim_case))
    app.action(blocks.ACTION_RESOLVE)(queued(services, open_resolution))


# -- answers ------------------------------------------------------------------------------

def _logged(turn: Turn, action: str):
    """The answer behind the pressed button, if this person may see it; else None (they are
    told why: it expired, or it is someone else's)."""
    try:
        return turn.owned_answer(action)
    except (NotFound, NotAllowed) as exc:
        turn.respond(*blocks.message(blocks.escape(str(exc))))
        return None


def open_escalation(turn: Turn) -> None:
    trigger = turn.body["trigger_id"]
    try:
        logged = turn.owned_answer("escalate", asker_only=True)
    except (NotFound, NotAllowed) as exc:
        turn.client.views_open(trigger_id=trigger, view=blocks.info_modal("Escalate", blocks.escape(str(exc))))
        return
    container = turn.body.get("container") or {}
    ephemeral = container.get("is_ephemeral") or container.get("type") != "message"
    # Where the answer is, so that it can say "escalated as CP-..." once the case exists.
    meta = turn.services.seal(a=logged.id, s=turn.action.get("block_id"),
                           r=turn.response_url if ephemeral else None,
                           c=None if ephemeral else container.get("channel_id"),
                           t=None if ephemeral else container.get("message_ts"))
    turn.client.views_open(trigger_id=trigger, view=blocks.escalate_modal(logged.text, logged.answer, meta))


def show_more(turn: Turn) -> None:
    logged = _logged(turn, "show more provisions")
    if logged is None:
        return
    shown = blocks.Shown.decode(turn.action.get("block_id")).but(expanded=True)
    turn.replace_message(blocks.answer_text(logged.answer), blocks.answer_blocks(logged.answer, logged.id, shown))


def choose_capacity(turn: Turn) -> None:
    logged = _logged(turn, "choose the capacity")
    if logged is None:
        return
    capacity = CAPACITY_ACTION.match(turn.action["action_id"]).group(1)
    shown = blocks.Shown(expanded=blocks.Shown.decode(turn.action.get("block_id")).expanded)
    given = give_answer(turn, logged.text, mode=logged.mode or "check", capacity=capacity, source="capacity",
                        profile=logged.profile, user=logged.user_id, channel=logged.channel, shown=shown)
    turn.replace_message(given.text, given.blocks)
    given.delivered()


def give_feedback(turn: Turn) -> None:
    logged = _logged(turn, "give feedback")
    if logged is None:
        return
    choice = FEEDBACK_ACTION.match(turn.action["action_id"]).group(1)
    answer = logged.answer

    def record() -> None:
        turn.services.store.feedback.record(
            choice == "helpful", logged.text, answer.get("verdict"),
            [p.get("id") for p in answer.get("provisions") or []], logged.profile, turn.user_id or None,
            answer_id=logged.id, findings=answer.get("findings"))
        log("feedback", helpful=choice == "helpful", answer_id=logged.id, verdict=answer.get("verdict"))

    turn.once("feedback", record)
    container = turn.body.get("container") or {}
    private = container.get("is_ephemeral") or str(container.get("channel_id", "")).startswith("D")
    if private:
        shown = blocks.Shown.decode(turn.action.get("block_id")).but(feedback=choice)
        turn.replace_message(blocks.answer_text(answer), blocks.answer_blocks(answer, logged.id, shown))
    else:
        # In a shared conversation the buttons stay for everyone else; only the voter is thanked.
        turn.respond(*blocks.message("Thanks for the feedback: it helps improve the answers."))


# -- cases --------------------------------------------------------------------------------

def refuse(turn: Turn, reason: str) -> None:
    """Tell only the person who pressed the button why it did nothing."""
    text = f":no_entry_sign: {blocks.escape(reason)}"
    container = turn.body.get("container") or {}
    if container.get("type") == "message" and container.get("channel_id"):
        turn.client.chat_postEphemeral(channel=container["channel_id"], user=turn.user_id, text=text,
                                       blocks=blocks.message(text)[1])
    else:
        turn.client.views_open(trigger_id=turn.body["trigger_id"], view=blocks.info_modal("canipost", text))


def show_case(turn: Turn, case) -> None:
    """Bring the place the button was pressed in, and the case's notice, up to date with the case."""
    container = turn.body.get("container") or {}
    if container.get("type") == "message" and not container.get("is_ephemeral"):
        text, notice = blocks.escalation_notice(case)
        turn.client.chat_update(channel=container["channel_id"], ts=container["message_ts"], text=text, blocks=notice)
        if container.get("message_ts") == case.notice_ts:
            return
    elif container.get("type") == "view":
        publish_home(turn.services, turn.client, turn.user_id)
    update_notice(turn, case)


def done_by(services: Services, ref: str, actor: Actor, status: str) -> dict | None:
    """{"ref": ...} when the case stands at ``status`` with ``actor`` as its advisor, else None."""
    case = _current(ref, actor, services)
    return {"ref": case.ref} if case is not None and case.status == status and case.assignee_id == actor.id else None


def _current(ref: str, actor: Actor, services: Services):
    try:
        return services.store.escalations.get(ref, actor)
    except CanipostError:
        return None


def claim_case(turn: Turn) -> None:
    ref = turn.action.get("value") or ""
    actor = turn.actor()
    escalations = turn.services.store.escalations

    def claim() -> dict:
        try:
            case = escalations.claim(ref, actor)
        except NotAllowed as exc:
            return {"not_allowed": str(exc)}
        except (InvalidTransition, NotFound) as exc:
            return {"refused": str(exc)}
        log("escalation_claimed", ref=case.ref, by=actor.id)
        return {"ref": case.ref}

    # A retry of the work cut off mid-claim finds the case claimed by this advisor: that was this claim.
    outcome = turn.once("claim", claim, verify=lambda: done_by(turn.services, ref, actor, "claimed"))
    if "not_allowed" in outcome:
        log("refused", action="claim", ref=ref, user=actor.id)
        refuse(turn, outcome["not_allowed"])
        return
    if "refused" in outcome:
        refuse(turn, outcome["refused"])
        # The message may be out of date (the case moved on elsewhere): show where it stands.
        current = _current(ref, actor, turn.services)
        if current is not None:
            show_case(turn, current)
        return
    show_case(turn, escalations.get(outcome["ref"], actor))


def open_resolution(turn: Turn) -> None:
    ref = turn.action.get("value") or ""
    trigger = turn.body["trigger_id"]
    services = turn.services
    loading = None
    if services.advisors.known(turn.user_id) is None:
        # Finding out means asking Slack, and the trigger expires 3 seconds after the click:
        # hold it with a modal now, fill it in after.
        opened = turn.client.views_open(trigger_id=trigger, view=blocks.loading_modal(f"Resolve {ref}"[:24]))
        loading = opened["view"]["id"]

    def show(view: dict) -> None:
        if loading:
            turn.client.views_update(view_id=loading, view=view)
        else:
            turn.client.views_open(trigger_id=trigger, view=view)

    actor = turn.actor()
    if not actor.is_advisor:
        try:
            services.store.escalations.require_advisor(ref, actor, "resolve")
        except CanipostError as exc:
            reason = str(exc)
        log("refused", action="resolve", ref=ref, user=actor.id)
        if loading:
            show(blocks.info_modal("Resolve", f":no_entry_sign: {blocks.escape(reason)}"))
        else:
            refuse(turn, reason)
        return
    try:
        case = services.store.escalations.get(ref, actor)
    except CanipostError as exc:
        show(blocks.info_modal("Resolve", blocks.escape(str(exc))))
        return
    if case.status == "resolved":
        show(blocks.info_modal("Resolve", f"*{blocks.escape(case.ref)}* is already resolved. Reopen it with "
                                          "`canipost escalations reopen` if it needs another answer."))
        show_case(turn, case)
        return
    container = turn.body.get("container") or {}
    meta = services.seal(ref=case.ref, h=1 if container.get("type") == "view" else None)
    show(blocks.resolve_modal(case, meta, provision_choices(services, case.profile)))


def provision_choices(services: Services, profile: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The profile's provisions, by source document, for the advisor to name the ones that decide a
    ruling (none when the knowledge base no longer has the case's profile)."""
    try:
        provisions = services.engine.kb.provisions_for(profile)
    except CanipostError:
        return []
    by_document: dict[str, list[tuple[str, str]]] = {}
    for provision in provisions:
        by_document.setdefault(provision.source.document, []).append((provision.id, provision.title))
    return list(by_document.items())
