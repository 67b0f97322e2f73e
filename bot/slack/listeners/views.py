"""Modal submissions: a draft to check, an escalation to send, a case to resolve.

A submission is acknowledged at once: the check modal closes, the other two show "a
moment..." and are updated with the outcome when the work is done.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from ...errors import CanipostError
from ...logs import log
from ...kb.rulings import check_ruling
from ...store import Actor, Ruling
from .. import blocks
from ..app import Services
from ..notify import tell_asker
from ..work import transient
from .actions import done_by
from .common import ReplyFailed, Turn, best_effort, give_answer, queued, send_to_response_url, update_notice
from .home import publish_home


def register(app, services: Services) -> None:
    app.view(blocks.VIEW_CHECK)(queued(services, check_draft))
    app.view(blocks.VIEW_ESCALATE)(queued(services, send_escalation, acknowledge=_sending))
    # A ruling no example could carry is sent back to the form, and nothing is done.
    app.view(blocks.VIEW_RESOLVE)(queued(services, save_resolution, acknowledge=_saving,
                                         wanted=lambda body: blocks.ruling_problem(body.get("view") or {}) is None))


def _sending(ack, body) -> None:
    ack(response_action="update", view=blocks.info_modal("Escalate", ":hourglass_flowing_sand: Sending it to the "
                                                                     "ethics advisors\u2026"))


def _saving(ack, body) -> None:
    problem = blocks.ruling_problem(body.get("view") or {})
    if problem is not None:
        ack(response_action="errors", errors={problem[0]: problem[1]})
        return
    ref = blocks.read_metadata(body.get("view") or {}).get("ref", "")
    saving = blocks.info_modal(f"Resolve {ref}"[:24], ":hourglass_flowing_sand: Saving\u2026")
    ack(response_action="update", view=saving)


# -- /canipost's modal --------------------------------------------------------------------

def check_draft(turn: Turn) -> None:
    view = turn.body["view"]
    meta = turn.sealed("check a draft")
    if meta is None:
        return
    # Typed into a modal, the text is plain already: no Slack markup to undo.
    draft = blocks.submitted(view, blocks.INPUT_DRAFT) or ""
    capacity = blocks.submitted(view, blocks.INPUT_CAPACITY)
    given = give_answer(turn, draft, mode="check", capacity=capacity, source="modal", channel=meta.get("c"))

    def deliver() -> str:
        try:
            send_to_response_url(meta.get("r"), given.text, given.blocks)
            return "response_url"
        except (ReplyFailed, OSError) as exc:
            # The command's response URL lasts 30 minutes; after that, a direct message.
            log("reply_moved_to_dm", reason=str(exc))
            turn.client.chat_postMessage(channel=turn.user_id, text=given.text, blocks=given.blocks,
                                         unfurl_links=False, unfurl_media=False)
            return "dm"

    turn.once("respond", deliver)
    given.delivered()


# -- escalations --------------------------------------------------------------------------

def send_escalation(turn: Turn) -> None:
    services, view = turn.services, turn.body["view"]
    meta = turn.sealed("escalate")
    if meta is None:
        return
    plan = blocks.submitted(view, blocks.INPUT_PLAN)
    context = blocks.submitted(view, blocks.INPUT_CONTEXT)
    parts = ([f"What they plan to post:\n{plan.strip()}"] if plan else []) + ([context.strip()] if context else [])
    try:
        case = services.store.escalate(
            meta.get("a", ""), Actor(turn.user_id, turn.user_name), context="\n\n".join(parts) or None,
            urgency=blocks.submitted(view, blocks.INPUT_URGENCY) or "normal",
            # The view is this one submission: a retry or a double click makes no second case.
            source_key=f"slack:view:{view['id']}",
            keep_personal_details="keep" in (blocks.submitted(view, blocks.INPUT_KEEP_DETAILS) or []))
    except CanipostError as exc:
        turn.client.views_update(view_id=view["id"], view=blocks.info_modal("Escalate", blocks.escape(str(exc))))
        return
    log("escalated", ref=case.ref, created=case.created, urgency=case.urgency, verdict=case.verdict)
    announced = announce(turn, case)
    confirmed = best_effort("escalation_confirmation", turn.client.views_update, view_id=view["id"],
                            view=blocks.escalated_modal(case.ref, announced))
    if not confirmed:
        text, message_blocks = blocks.message(blocks.escalated_text(case.ref, announced))
        best_effort("escalation_confirmation_dm", turn.client.chat_postMessage, channel=turn.user_id, text=text,
                    blocks=message_blocks)
    _mark_answer_escalated(turn, meta, case.ref)


def announce(turn: Turn, case) -> bool:
    """Post the case to the advisors' channel, once, however often this is called.

    A failure that may pass (Slack rate-limited or unreachable) is raised, so the work is tried
    again until the advisors have heard of the case; one that will not (the app is not in the
    channel, say) is logged: the case is still in their queue.
    """
    services = turn.services
    channel = services.settings.advisors_channel
    if not channel:
        log("escalation_not_announced", level=logging.WARNING, ref=case.ref,
            reason="CANIPOST_ADVISORS_CHANNEL is not set")
        return False
    # One notice per case, whichever submission (a double click, Slack's retry) gets here first;
    # the claim is this work's, so its own retries carry on with it.
    key = f"slack:notice:{case.ref}"
    if case.notice_ts or not turn.once("notice-claim", lambda: services.store.events.begin(key, holder=turn.key)):
        return True
    text, notice = blocks.escalation_notice(case)
    try:
        posted = turn.post(f"notice:{case.ref}", channel, None, text, notice)
    except Exception as exc:
        if transient(exc):
            raise
        services.store.events.release(key)
        log("escalation_not_announced", level=logging.ERROR, ref=case.ref, channel=channel,
            reason=exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__)
        return False
    services.store.escalations.record_notice(case.ref, posted["channel"], posted["ts"])
    services.store.events.finish(key)
    return True


def _mark_answer_escalated(turn: Turn, meta: dict, ref: str) -> None:
    """The answer's Escalate button becomes "Escalated as CP-...", where it is shown."""
    try:
        logged = turn.services.store.answers.get(meta.get("a", ""))
    except CanipostError:
        return
    shown = blocks.Shown.decode(meta.get("s")).but(escalated=ref)
    text, answer_blocks = blocks.answer_text(logged.answer), blocks.answer_blocks(logged.answer, logged.id, shown)
    if meta.get("r"):
        best_effort("answer_update", send_to_response_url, meta["r"], text, answer_blocks, replace=True)
    elif meta.get("c") and meta.get("t"):
        best_effort("answer_update", turn.client.chat_update, channel=meta["c"], ts=meta["t"], text=text,
                    blocks=answer_blocks)


# -- resolving ----------------------------------------------------------------------------

def _ruling(services: Services, view: dict, case) -> Ruling | None:
    """The ruling the form holds, checked against the knowledge base; None from a form without one
    (opened before rulings existed)."""
    verdict = blocks.submitted(view, blocks.INPUT_RULING_VERDICT)
    if not verdict:
        return None
    ruling = Ruling(verdict, blocks.submitted(view, blocks.INPUT_RULING_CAPACITY) or case.capacity or "personal",
                    tuple(blocks.submitted(view, blocks.INPUT_RULING_TOPICS) or ()),
                    tuple(blocks.submitted(view, blocks.INPUT_RULING_PROVISIONS) or ()),
                    blocks.LEARN_CHOICES.get(blocks.submitted(view, blocks.INPUT_LEARN)))
    return check_ruling(services.engine.kb, case.profile, ruling)


def save_resolution(turn: Turn) -> None:
    services, view = turn.services, turn.body["view"]
    meta = turn.sealed("resolve")
    if meta is None:
        return
    ref = meta.get("ref", "")
    actor = turn.actor()
    precedent = "yes" in (blocks.submitted(view, blocks.INPUT_PRECEDENT) or [])

    def resolve() -> dict:
        try:
            escalations = services.store.escalations
            case = escalations.resolve(ref, actor, blocks.submitted(view, blocks.INPUT_ANSWER) or "",
                                       precedent=precedent, precedent_question=blocks.submitted(view, blocks.INPUT_WORDING),
                                       ruling=_ruling(services, view, escalations.get(ref, actor)))
        except CanipostError as exc:
            return {"refused": str(exc)}
        log("escalation_resolved", ref=case.ref, by=actor.id, precedent=case.precedent,
            ruling=case.ruling and case.ruling["agreement"])
        return {"ref": case.ref}

    # A retry of the work cut off mid-resolution finds the case resolved by this advisor: that was this one.
    outcome = turn.once("resolve", resolve, verify=lambda: done_by(services, ref, actor, "resolved"))
    if "refused" in outcome:
        turn.client.views_update(view_id=view["id"], view=blocks.info_modal("Resolve", blocks.escape(outcome["refused"])))
        return
    case = services.store.escalations.get(outcome["ref"], actor)
    if case.precedent:
        services.refresh_precedents()
    told = blocks.is_slack_user(case.asker_id) and turn.once(
        "tell_asker", lambda: best_effort("resolution_dm", tell_asker, turn.client, case))
    done = blocks.resolved_modal(case) if told else blocks.info_modal(
        "Resolved", f":white_check_mark: *{blocks.escape(case.ref)}* is resolved and your answer is saved, but I "
                    "could not send it to the asker: please pass it on to them yourself.")
    best_effort("resolution_confirmation", turn.client.views_update, view_id=view["id"], view=done)
    update_notice(turn, case)
    if meta.get("h"):
        best_effort("home_update", publish_home, services, turn.client, turn.user_id)
