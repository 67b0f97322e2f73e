"""What every listener shares: the request as a :class:`Turn`, the wrapper that runs slow
work once per delivery, answering (and recording the answer), and the ways to reply."""

from __future__ import annotations

import logging
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
from ..app import WEB_API_TIMEOUT_S, Services
from ..notify import refresh_notice

LOGGER = logging.getLogger("canipost")
SORRY = (":warning: Sorry, something went wrong on my side and I could not finish that. "
         "Please try again in a minute.")
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

    def respond(self, text: str, blocks_: list[dict] | None = None, *, replace: bool = False,
                url: str | None = None) -> None:
        """An ephemeral reply through the response URL: it works in any conversation, with no
        need for the app to be a member of it."""
        send_to_response_url(url or self.response_url, text, blocks_, replace=replace)

    def replace_message(self, text: str, blocks_: list[dict]) -> None:
        """Update the message whose button was pressed, in place, for whoever sees it."""
        container = self.body.get("container") or {}
        if container.get("type") == "message" and not container.get("is_ephemeral"):
            self.client.chat_update(channel=container["channel_id"], ts=container["message_ts"], text=text,
                                    blocks=blocks_)
        else:
            self.respond(text, blocks_, replace=True)

    def apologise(self) -> None:
        """Tell the person their request failed, where there is a way to (best effort)."""
        try:
            view = self.body.get("view") or {}
            if self.body.get("type") == "view_submission" and view.get("id"):
                self.client.views_update(view_id=view["id"], view=blocks.info_modal("canipost", SORRY))
            elif self.response_url:
                self.respond(SORRY)
            elif self.event.get("channel") and self.event.get("type") in ("app_mention", "message"):
                event = self.event
                thread = event.get("thread_ts") or (None if event.get("channel_type") == "im" else event.get("ts"))
                self.client.chat_postMessage(channel=event["channel"], thread_ts=thread, text=SORRY)
        except Exception:  # noqa: BLE001 - already failing; the log has the first error
            LOGGER.warning("apology_failed", exc_info=True)


def send_to_response_url(url: str | None, text: str, blocks_: list[dict] | None = None, *,
                         replace: bool = False) -> None:
    if not url:
        raise ReplyFailed("no response URL")
    message: dict[str, Any] = {"text": text, "response_type": "ephemeral", "replace_original": replace}
    if blocks_ is not None:
        message["blocks"] = blocks_
    response = WebhookClient(url, timeout=WEB_API_TIMEOUT_S).send_dict(message)
    if response.status_code != 200:
        raise ReplyFailed(f"the response URL answered HTTP {response.status_code}")


# -- running the slow work ----------------------------------------------------------------

def delivery_key(body: Mapping[str, Any]) -> str | None:
    """What makes one request the same as its retries: the event id, or the interaction's
    trigger id (each click, command or submission has its own)."""
    if body.get("event_id"):
        return f"slack:event:{body['event_id']}"
    if body.get("trigger_id"):
        return f"slack:trigger:{body['trigger_id']}"
    return None


def lazy(services: Services, handler: Callable[[Turn], None], *,
         relevant: Callable[[Turn], bool] | None = None) -> Callable[..., None]:
    """``handler`` as a Bolt lazy listener that does its work once per delivery.

    A retry of a delivery already handled (or being handled) is dropped; a delivery that
    failed gives its key back, so Slack's next retry does the work instead.
    """

    def run(body, context, client, request):
        turn = Turn(services, body, context, client)
        with request_scope(context.get("request_id")):
            if relevant is not None and not relevant(turn):
                return
            key = delivery_key(body)
            if key and not services.store.events.begin(key):
                retry = (request.headers.get("x-slack-retry-num") or [None])[0] if request else None
                log("duplicate_ignored", key=key, retry=retry, handler=handler.__name__)
                return
            try:
                handler(turn)
            except Exception as exc:  # noqa: BLE001 - logged, key given back, person told
                if key:
                    _quietly(services.store.events.release, key)
                LOGGER.error("failed", exc_info=True, extra={"fields": {
                    "handler": handler.__name__, "key": key,
                    "slack_error": exc.response.get("error") if isinstance(exc, SlackApiError) else None}})
                # When Slack itself refused, telling the person through Slack would fail too.
                if not isinstance(exc, SlackApiError):
                    turn.apologise()
            else:
                if key:
                    _quietly(services.store.events.finish, key)

    run.__name__ = handler.__name__
    run.__qualname__ = handler.__qualname__
    return run


def _quietly(step: Callable[[str], None], key: str) -> None:
    try:
        step(key)
    except Exception:  # noqa: BLE001 - bookkeeping must not hide the outcome
        LOGGER.warning("delivery_bookkeeping_failed", exc_info=True, extra={"fields": {"key": key}})


def ack_now(ack) -> None:
    ack()


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

    def delivered(self) -> None:
        """Count the answer as given, once it reached Slack: a failed attempt that Slack's
        retry repeats is logged (and noted as a gap) once, not twice."""
        if self.answer is not None:
            for step in self.after:
                step()
            log("answered", **self.fields)


def answer_data(result) -> dict:
    """The contract dict, with each finding's label (the Slack message shows it)."""
    data = result.to_dict()
    for finding, out in zip(result.findings, data["findings"]):
        out["label"] = finding.spec.label
    return data


def give_answer(turn: Turn, text: str, *, mode: str, capacity: str | None, source: str,
                profile: str | None = None, user: str | None = None, channel: str | None = None,
                shown: blocks.Shown = blocks.Shown()) -> Given:
    """Answer ``text``, keep the answer in the log (its buttons need it), render it.

    ``user`` is whose answer it is (default: whoever sent this request).
    """
    services = turn.services
    user = user or turn.user_id or None
    services.precedents_current()
    # A token or secret pasted into a question is taken out before anything sees it: the
    # engine's masking would otherwise split it (its digits look like phone numbers).
    text = scrub(text, services.settings.secrets(), SECRET_REMOVED)
    try:
        result = services.engine.answer(text, mode=mode, profile=profile or services.settings.profile,
                                        capacity=capacity)
    except InputError as exc:
        log("not_answered", source=source, mode=mode, reason=str(exc), **text_field(text))
        fallback, message_blocks = blocks.input_problem(str(exc))
        return Given(None, None, fallback, message_blocks)
    data = answer_data(result)
    answer_id = services.store.answers.record(
        data, result.text, user=user, workspace=turn.team_id, channel=channel or turn.channel_id, mode=mode,
        profile=result.profile.id, capacity=capacity)
    after = []
    # A question nothing matched is a gap in the knowledge base; a draft that matched
    # nothing is simply fine, and would only bury the gaps.
    if not result.matched and mode == "ask":
        after.append(lambda: services.store.feedback.record_unmatched(
            result.text, result.profile.id, user, answer_id=answer_id, findings=data["findings"]))
    fields = dict(source=source, mode=mode, verdict=result.verdict, escalate=result.escalate,
                  capacity=result.capacity, capacity_given=capacity is not None, matched=result.matched,
                  provisions=len(result.provisions), findings=len(result.findings), answer_id=answer_id,
                  **text_field(result.text))
    return Given(data, answer_id, blocks.answer_text(data), blocks.answer_blocks(data, answer_id, shown), fields,
                 after)


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
