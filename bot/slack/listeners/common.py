"""What every listener shares: the request as a :class:`Turn`, the wrapper that keeps a
request's work in the outbox and acknowledges it (or says canipost is busy), answering (and
recording the answer), and the ways to reply, each done once however often the work is tried."""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from ...errors import InputError
from ...logs import log, request_scope, text_field
from ...redaction import scrub
from ...store import Actor
from ...store.db import SECRET_REMOVED
from .. import blocks
from ..app import WEB_API_TIMEOUT_S, Services, retry_handlers
from ..notify import refresh_notice

LOGGER = logging.getLogger("canipost")
SORRY = (":warning: Sorry, something went wrong on my side and I could not finish that. "
         "Please try again in a minute.")
LATE = (":warning: Sorry, I could not get your answer to you in time (Slack could not be reached). "
        "Please ask again.")
BUSY = (":hourglass_flowing_sand: canipost is busy with other questions right now and could not take yours. "
        "Please try again in a minute.")
# Posted messages carry the work's key in their metadata, so a retry can see it was sent.
REPLY_EVENT = "canipost_reply"
BUSY_NOTES = 32  # "busy" notes being sent at once, at most (past it, they are skipped)
ALTERED = ":no_entry_sign: That form could not be used as it came back. Please start again."


class ReplyFailed(Exception):
    """A response URL refused or lost a reply (it expires after 30 minutes and five uses)."""


@dataclass
class Turn:
    """One request from Slack, as the listeners see it."""

    services: Services
    body: Mapping[str, Any]
    context: Any
    client: WebClient
    key: str | None = None  # the work's key in the outbox: its steps are recorded under it

    @property
    def event(self) -> Mapping[str, Any]:
        return self.body.get("event") or {}

    @property
    def user_id(self) -> str:
        user = self.body.get("user")
        return (self.body.get("user_id") or (user.get("id") if isinstance(user, Mapping) else user)
                or self.event.get("user") or "")

    @property
    def user_name(self) -> str:
        user = self.body.get("user")
        if isinstance(user, Mapping):
            return user.get("username") or user.get("name") or ""
        return self.body.get("user_name") or ""

    @property
    def team_id(self) -> str | None:
        team = self.body.get("team")
        return (self.body.get("team_id") or (team.get("id") if isinstance(team, Mapping) else None)
                or self.context.get("team_id"))

    @property
    def channel_id(self) -> str | None:
        channel = self.body.get("channel")
        container = self.body.get("container") or {}
        return (self.body.get("channel_id") or (channel.get("id") if isinstance(channel, Mapping) else None)
                or container.get("channel_id") or self.event.get("channel"))

    @property
    def response_url(self) -> str | None:
        return self.body.get("response_url")

    @property
    def action(self) -> Mapping[str, Any]:
        return (self.body.get("actions") or [{}])[0]

    @property
    def bot_user_id(self) -> str | None:
        return self.context.get("bot_user_id")

    def actor(self, advisor: bool | None = None) -> Actor:
        """The person acting, as the store knows them (advisor or not, as Slack's settings say)."""
        if advisor is None:
            advisor = self.services.advisors.check(self.user_id)
        return Actor(self.user_id, self.user_name, is_advisor=advisor)

    @property
    def shared_channel(self) -> str | None:
        """The conversation of the message whose button was pressed, when everyone in it sees
        that message (not an ephemeral reply, not the Home tab). Slack sets this, not the app."""
        container = self.body.get("container") or {}
        if container.get("type") == "message" and not container.get("is_ephemeral"):
            return container.get("channel_id")
        return None

    def owned_answer(self, action: str, asker_only: bool = False):
        """The answer the pressed button names, if this person may ``action`` it (see
        :class:`canipost.store.Access`); raises NotFound or NotAllowed (audited) otherwise."""
        return self.services.store.access.answer(self.action.get("value") or "", self.actor(), action,
                                                 seen_in=self.shared_channel, asker_only=asker_only)

    def sealed(self, action: str) -> dict[str, Any] | None:
        """What the app wrote into the submitted modal; None, with the refusal audited and the
        person told, when it came back altered."""
        values = self.services.unseal(self.body.get("view") or {})
        if values is None:
            self.services.store.access.refuse(self.actor(advisor=False), f"{action}: the form's data came back altered")
            log("refused", level=logging.WARNING, action=action, reason="private_metadata altered", user=self.user_id)
            view = self.body.get("view") or {}
            if view.get("id"):
                best_effort("altered_form_notice", self.client.views_update, view_id=view["id"],
                            view=blocks.info_modal("canipost", ALTERED))
        return values

    # -- replying --------------------------------------------------------------------------

    def once(self, step: str, do: Callable[[], Any], verify: Callable[[], Any] | None = None) -> Any:
        """Do ``step`` of this work once, however often the work is tried; its result (JSON) is kept.

        A step begun but never finished (the process died during it) may or may not have
        happened: ``verify`` asks Slack and gives its result if it did; without one, the step
        is done again, and the log says so.
        """
        if self.key is None:
            return do()
        outbox = self.services.store.outbox
        found = outbox.step(self.key, step)
        if found is not None and found[0] == "done":
            return found[1]
        if found is not None:
            result = verify() if verify is not None else None
            if result is not None:
                outbox.end_step(self.key, step, result)
                return result
            log("delivery_uncertain", level=logging.WARNING, key=self.key, step=step,
                checked=verify is not None)
        outbox.begin_step(self.key, step)
        result = do()
        outbox.end_step(self.key, step, result)
        return result

    def post(self, step: str, channel: str, thread_ts: str | None, text: str, blocks_: list[dict] | None,
             **extra: Any) -> dict:
        """chat.postMessage, once: the message carries the work's key, so that a retry after an
        unfinished attempt finds it in the conversation instead of posting it again."""
        metadata = {"event_type": REPLY_EVENT, "event_payload": {"key": self.key}} if self.key else None

        def send() -> dict:
            posted = self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=blocks_,
                                                  unfurl_links=False, unfurl_media=False, metadata=metadata, **extra)
            return {"channel": posted.get("channel") or channel, "ts": posted.get("ts")}

        return self.once(step, send, verify=lambda: find_posted(self.client, channel, thread_ts, self.key))

    def respond(self, text: str, blocks_: list[dict] | None = None, *, replace: bool = False,
                url: str | None = None, step: str = "respond") -> None:
        """An ephemeral reply through the response URL: it works in any conversation, with no
        need for the app to be a member of it."""
        self.once(step, lambda: send_to_response_url(url or self.response_url, text, blocks_, replace=replace))

    def replace_message(self, text: str, blocks_: list[dict]) -> None:
        """Update the message whose button was pressed, in place, for whoever sees it."""
        container = self.body.get("container") or {}
        if container.get("type") == "message" and not container.get("is_ephemeral"):
            self.client.chat_update(channel=container["channel_id"], ts=container["message_ts"], text=text,
                                    blocks=blocks_)
        else:
            self.respond(text, blocks_, replace=True)

    def apologise(self, text: str = SORRY) -> None:
        """Tell the person their request failed, where there is a way to (best effort)."""
        try:
            view = self.body.get("view") or {}
            if self.body.get("type") == "view_submission" and view.get("id"):
                self.client.views_update(view_id=view["id"], view=blocks.info_modal("canipost", text))
            elif self.response_url:
                try:
                    send_to_response_url(self.response_url, text)
                except (ReplyFailed, OSError):  # expired (30 minutes): a direct message instead
                    if self.user_id:
                        self.client.chat_postMessage(channel=self.user_id, text=text)
            elif self.event.get("channel") and self.event.get("type") in ("app_mention", "message"):
                event = self.event
                thread = event.get("thread_ts") or (None if event.get("channel_type") == "im" else event.get("ts"))
                self.client.chat_postMessage(channel=event["channel"], thread_ts=thread, text=text)
        except Exception:  # noqa: BLE001 - already failing; the log has the first error
            LOGGER.warning("apology_failed", exc_info=True)


def find_posted(client: WebClient, channel: str, thread_ts: str | None, key: str | None) -> dict | None:
    """The message this work posted in ``channel`` (in the thread ``thread_ts``), if Slack has it."""
    if not key:
        return None
    try:
        if thread_ts:
            response = client.conversations_replies(channel=channel, ts=thread_ts, include_all_metadata=True,
                                                    limit=200)
        else:
            response = client.conversations_history(channel=channel, include_all_metadata=True, limit=200)
    except SlackApiError as exc:
        log("delivery_check_failed", level=logging.WARNING, channel=channel, error=exc.response.get("error"))
        return None
    for message in response.get("messages") or []:
        if ((message.get("metadata") or {}).get("event_payload") or {}).get("key") == key:
            return {"channel": channel, "ts": message.get("ts")}
    return None


def send_to_response_url(url: str | None, text: str, blocks_: list[dict] | None = None, *,
                         replace: bool = False) -> None:
    if not url:
        raise ReplyFailed("no response URL")
    message: dict[str, Any] = {"text": text, "response_type": "ephemeral", "replace_original": replace}
    if blocks_ is not None:
        message["blocks"] = blocks_
    response = WebhookClient(url, timeout=WEB_API_TIMEOUT_S, retry_handlers=retry_handlers()).send_dict(message)
    if response.status_code != 200:
        raise ReplyFailed(f"the response URL answered HTTP {response.status_code}")


# -- taking work on, and doing it -----------------------------------------------------------

def delivery_key(body: Mapping[str, Any]) -> str | None:
    """What makes one request the same as its retries: the event id, or the interaction's
    trigger id (each click, command or submission has its own)."""
    if body.get("event_id"):
        return f"slack:event:{body['event_id']}"
    if body.get("trigger_id"):
        return f"slack:trigger:{body['trigger_id']}"
    return None


def ack_now(ack, body) -> None:
    ack()


@dataclass(frozen=True)
class Handler:
    """Work a kind of request needs done after its acknowledgement."""

    run: Callable[[Turn], None]
    relevant: Callable[[Turn], bool] | None = None  # asked first, when the work is done (may ask Slack)


def queued(services: Services, handler: Callable[[Turn], None], *, acknowledge: Callable[..., None] = ack_now,
           wanted: Callable[[Mapping[str, Any]], bool] | None = None,
           relevant: Callable[[Turn], bool] | None = None) -> Callable[..., None]:
    """A Bolt listener that keeps ``handler``'s work in the outbox and then acknowledges.

    ``wanted`` (the request alone, no Slack call) says whether there is work at all; a retry
    of a request already taken is acknowledged and nothing more; when canipost already has as
    much work as it takes, the person is told at once that it is busy.
    """
    services.handlers[handler.__name__] = Handler(handler, relevant)

    def listener(ack, body, context, request):
        if wanted is not None and not wanted(body):
            acknowledge(ack, body)
            return
        key = delivery_key(body) or f"canipost:{uuid.uuid4().hex}"
        try:
            outcome = services.work.accept(key, handler.__name__, body, context)
        except Exception:  # noqa: BLE001 - the database could not take it: the person is told, Slack gets no 500
            LOGGER.error("not_accepted", exc_info=True, extra={"fields": {"key": key, "handler": handler.__name__}})
            outcome = "busy"
        if outcome == "duplicate":
            retry = (request.headers.get("x-slack-retry-num") or [None])[0] if request else None
            log("duplicate_ignored", key=key, retry=retry, handler=handler.__name__)
            ack()
        elif outcome == "busy":
            log("busy", level=logging.WARNING, key=key, handler=handler.__name__, pending=services.work.pending())
            say_busy(services, ack, body)
        else:
            acknowledge(ack, body)

    listener.__name__ = handler.__name__
    listener.__qualname__ = handler.__qualname__
    return listener


_busy_notes = threading.BoundedSemaphore(BUSY_NOTES)


def say_busy(services: Services, ack, body: Mapping[str, Any]) -> None:
    """Tell the person canipost is busy, in the way their kind of request allows: in the
    acknowledgement where Slack shows one, else in a short note sent beside it."""
    if body.get("command"):
        ack(text=BUSY, response_type="ephemeral")
        return
    view = body.get("view") or {}
    inputs = [b["block_id"] for b in view.get("blocks") or [] if b.get("type") == "input" and b.get("block_id")]
    if body.get("type") == "view_submission" and inputs:
        ack(response_action="errors", errors={inputs[0]: "canipost is busy right now: please press the button "
                                                         "again in a minute."})
        return
    ack()
    turn = Turn(services, body, {}, services.client)
    event = turn.event
    if not (turn.response_url or event.get("type") == "app_mention" or event.get("channel_type") == "im"):
        return  # nothing a person is waiting on (a thread reply, the Home tab)
    if not _busy_notes.acquire(blocking=False):
        return

    def note() -> None:
        try:
            turn.apologise(BUSY)
        finally:
            _busy_notes.release()

    threading.Thread(target=note, name="canipost-busy", daemon=True).start()


def run_job(services: Services, job, apology: str | None = None) -> None:
    """Do one job from the outbox (what :class:`~..work.Work` calls), or, with ``apology``
    ("late" or "failed"), tell its person it could not be done."""
    handler = services.handlers[job.handler]
    context = dict(job.payload.get("context") or {})
    turn = Turn(services, job.payload["body"], context, services.client, key=job.key)
    if apology:
        turn.apologise(LATE if apology == "late" else SORRY)
        return
    if handler.relevant is not None and not handler.relevant(turn):
        return
    handler.run(turn)


# -- answering ----------------------------------------------------------------------------

@dataclass
class Given:
    """An answer ready to send: the contract dict and its id in the answer log (None when
    there is no answer, e.g. the text was empty), its message, and what to log once sent."""

    answer: dict | None
    answer_id: str | None
    text: str
    blocks: list[dict]
    fields: dict[str, Any] = field(default_factory=dict)
    after: list[Callable[[], Any]] = field(default_factory=list)
    turn: Turn | None = None

    def delivered(self) -> None:
        """Count the answer as given, once it reached Slack: a failed attempt that is tried
        again is logged (and noted as a gap) once, not twice."""
        if self.answer is None:
            return

        def count() -> None:
            for step in self.after:
                step()
            log("answered", **self.fields)

        if self.turn is not None:
            self.turn.once(f"delivered:{self.answer_id}", count)
        else:
            count()


def give_answer(turn: Turn, text: str, *, mode: str, capacity: str | None, source: str,
                profile: str | None = None, user: str | None = None, channel: str | None = None,
                shown: blocks.Shown = blocks.Shown()) -> Given:
    """Answer ``text`` (once: a retry of the work finds the answer it gave), keep the answer in
    the log (its buttons need it), render it. ``user`` is whose answer it is (default: whoever
    sent this request)."""
    services = turn.services
    user = user or turn.user_id or None
    profile = profile or services.settings.profile
    # A token or secret pasted into a question is taken out before anything sees it: the
    # engine's masking would otherwise split it (its digits look like phone numbers).
    text = scrub(text, services.settings.secrets(), SECRET_REMOVED)

    def answer() -> dict:
        try:
            data, answered = services.answer(text, mode=mode, profile=profile, capacity=capacity)
        except InputError as exc:
            return {"problem": str(exc)}
        answer_id = services.store.answers.record(
            data, answered, user=user, workspace=turn.team_id, channel=channel or turn.channel_id, mode=mode,
            profile=data["profile"], capacity=capacity)
        return {"answer_id": answer_id}

    outcome = turn.once(f"answer:{capacity}", answer)
    if "problem" in outcome:
        log("not_answered", source=source, mode=mode, reason=outcome["problem"], **text_field(text))
        fallback, message_blocks = blocks.input_problem(outcome["problem"])
        return Given(None, None, fallback, message_blocks)
    logged = services.store.answers.get(outcome["answer_id"])
    data, answer_id = logged.answer, logged.id
    after = []
    # A question nothing matched is a gap in the knowledge base; a draft that matched
    # nothing is simply fine, and would only bury the gaps.
    if not data["matched"] and mode == "ask":
        after.append(lambda: services.store.feedback.record_unmatched(
            logged.text, data["profile"], user, answer_id=answer_id, findings=data["findings"]))
    fields = dict(source=source, mode=mode, verdict=data["verdict"], escalate=data["escalate"],
                  capacity=data["capacity"], capacity_given=capacity is not None, matched=data["matched"],
                  provisions=len(data["provisions"]), findings=len(data["findings"]), answer_id=answer_id,
                  **text_field(logged.text))
    return Given(data, answer_id, blocks.answer_text(data), blocks.answer_blocks(data, answer_id, shown), fields,
                 after, turn)


def best_effort(what: str, step, *args, **kwargs) -> bool:
    """Run one Web API courtesy; a failure is logged and reported as False, never raised."""
    try:
        step(*args, **kwargs)
        return True
    except Exception as exc:  # noqa: BLE001 - one failed courtesy must not undo the rest
        LOGGER.warning(what + "_failed", extra={"fields": {
            "error": exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__}})
        return False


def update_notice(turn: Turn, case: Any) -> None:
    """Bring the case's notice in the advisors' channel up to date, wherever the case moved on."""
    best_effort("notice_update", refresh_notice, turn.client, case)
