"""Slack's side of the conversation: requests shaped like Slack's, signed with the scheme
slack_sdk's SignatureVerifier checks, sent to the running app over HTTP."""

from __future__ import annotations

import itertools
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

from slack_sdk.signature import SignatureVerifier

from .standin import BOT_USER, TEAM

_ids = itertools.count(1)


def uid(prefix: str) -> str:
    """A Slack-shaped id no other test uses (C..., U..., D...)."""
    return f"{prefix}0{uuid.uuid4().hex[:8].upper()}"


@dataclass
class Reply:
    status: int
    body: str
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class Slack:
    def __init__(self, base_url: str, secret: str, standin):
        self.url = base_url.rstrip("/") + "/slack/events"
        self.secret = secret
        self.standin = standin

    # -- sending ---------------------------------------------------------------------------

    def post(self, body: str, content_type: str, headers: dict[str, str] | None = None,
             sign: bool = True, secret: str | None = None, timestamp: int | None = None) -> Reply:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        all_headers = {"Content-Type": content_type}
        if sign:
            signature = SignatureVerifier(secret or self.secret).generate_signature(timestamp=stamp, body=body)
            all_headers.update({"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature})
        all_headers.update(headers or {})
        request = urllib.request.Request(self.url, data=body.encode("utf-8"), headers=all_headers, method="POST")
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Reply(response.status, response.read().decode(), time.monotonic() - started)
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, exc.read().decode(), time.monotonic() - started)

    def event(self, event: dict[str, Any], event_id: str | None = None, retry: int | None = None, **kwargs) -> Reply:
        event.setdefault("event_ts", event.get("ts", f"{time.time():.6f}"))
        body = {
            "token": "deprecated", "team_id": TEAM, "api_app_id": "A0CANIPOST", "event": event,
            "type": "event_callback", "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()), "authorizations": [
                {"enterprise_id": None, "team_id": TEAM, "user_id": BOT_USER, "is_bot": True,
                 "is_enterprise_install": False}],
            "is_ext_shared_channel": False,
        }
        headers = {}
        if retry:
            headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(json.dumps(body), "application/json", headers, **kwargs)

    def mention(self, text: str, user: str, channel: str, thread_ts: str | None = None, **kwargs) -> tuple[Reply, str]:
        ts = _ts()
        event = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER}> {text}", "ts": ts, "channel": channel}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.event(event, **kwargs), ts

    def message(self, text: str, user: str, channel: str, channel_type: str = "im", thread_ts: str | None = None,
                **extra) -> tuple[Reply, str]:
        ts = _ts()
        event = {"type": "message", "user": user, "text": text, "ts": ts, "channel": channel,
                 "channel_type": channel_type, **extra}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.event(event), ts

    def command(self, text: str, user: str, channel: str, response_url: str | None = None,
                trigger_id: str | None = None, **kwargs) -> Reply:
        body = urllib.parse.urlencode({
            "token": "deprecated", "team_id": TEAM, "team_domain": "test", "channel_id": channel,
            "channel_name": "general", "user_id": user, "user_name": f"name-{user.lower()}", "command": "/canipost",
            "text": text, "api_app_id": "A0CANIPOST", "is_enterprise_install": "false",
            "response_url": response_url or self.standin.response_url(f"commands/{uid('R')}"),
            "trigger_id": trigger_id or trigger(),
        })
        return self.post(body, "application/x-www-form-urlencoded", **kwargs)

    def interaction(self, payload: dict[str, Any], **kwargs) -> Reply:
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return self.post(body, "application/x-www-form-urlencoded", **kwargs)

    def shortcut(self, text: str, user: str, channel: str, response_url: str) -> Reply:
        return self.interaction({
            "type": "message_action", "token": "deprecated", "action_ts": f"{time.time():.6f}",
            "team": {"id": TEAM, "domain": "test"}, "user": {"id": user, "name": f"name-{user.lower()}"},
            "channel": {"id": channel, "name": "general"}, "is_enterprise_install": False,
            "callback_id": "check_before_posting", "trigger_id": trigger(), "response_url": response_url,
            "message_ts": _ts(), "message": {"type": "message", "user": "U0AUTHOR", "ts": _ts(), "text": text},
        })

    def click(self, user: str, action_id: str, value: str, *, block_id: str = "b", channel: str | None = None,
              message_ts: str | None = None, ephemeral: bool = False, response_url: str | None = None,
              view: dict | None = None, trigger_id: str | None = None) -> Reply:
        """A button press, in a message (ephemeral or not) or in a view (the Home tab)."""
        payload: dict[str, Any] = {
            "type": "block_actions", "user": {"id": user, "username": f"name-{user.lower()}", "name": f"name-{user.lower()}",
                                              "team_id": TEAM},
            "api_app_id": "A0CANIPOST", "token": "deprecated", "trigger_id": trigger_id or trigger(),
            "team": {"id": TEAM, "domain": "test"}, "enterprise": None, "is_enterprise_install": False,
            "actions": [{"action_id": action_id, "block_id": block_id, "value": value, "type": "button",
                         "text": {"type": "plain_text", "text": "x"}, "action_ts": f"{time.time():.6f}"}],
        }
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view["id"]}
            payload["view"] = view
        else:
            payload["container"] = {"type": "message", "message_ts": message_ts, "channel_id": channel,
                                    "is_ephemeral": ephemeral}
            payload["channel"] = {"id": channel, "name": "general"}
            payload["response_url"] = response_url or self.standin.response_url(f"actions/{uid('R')}")
            if not ephemeral:
                payload["message"] = {"type": "message", "ts": message_ts, "bot_id": "B0CANIPOST", "text": "x"}
        return self.interaction(payload)

    def submit(self, user: str, view: dict, values: dict[str, Any]) -> Reply:
        """Submit a modal the app opened (``view`` as recorded), with ``values`` by block id:
        a string for a text input, ("select", value), ("multi", [values]), ("checkboxes", [values]) or
        ("radio", value)."""
        state: dict[str, Any] = {}
        for block_id, value in values.items():
            if isinstance(value, tuple) and value[0] == "select":
                state[block_id] = {"value": {"type": "static_select", "selected_option": {"value": value[1]}}}
            elif isinstance(value, tuple) and value[0] == "radio":
                state[block_id] = {"value": {"type": "radio_buttons",
                                             "selected_option": None if value[1] is None else {"value": value[1]}}}
            elif isinstance(value, tuple) and value[0] == "multi":
                state[block_id] = {"value": {"type": "multi_static_select",
                                             "selected_options": [{"value": v} for v in value[1]]}}
            elif isinstance(value, tuple) and value[0] == "checkboxes":
                state[block_id] = {"value": {"type": "checkboxes",
                                             "selected_options": [{"value": v} for v in value[1]]}}
            else:
                state[block_id] = {"value": {"type": "plain_text_input", "value": value}}
        payload = {
            "type": "view_submission", "team": {"id": TEAM, "domain": "test"},
            "user": {"id": user, "username": f"name-{user.lower()}", "name": f"name-{user.lower()}", "team_id": TEAM},
            "api_app_id": "A0CANIPOST", "token": "deprecated", "trigger_id": trigger(),
            "view": {**view, "team_id": TEAM, "state": {"values": state}, "hash": view.get("hash", "h"),
                     "app_id": "A0CANIPOST", "bot_id": "B0CANIPOST"},
            "response_urls": [], "is_enterprise_install": False,
        }
        return self.interaction(payload)

    def home_opened(self, user: str) -> Reply:
        return self.event({"type": "app_home_opened", "user": user, "channel": uid("D"), "tab": "home"})


def trigger() -> str:
    return f"{next(_ids)}.{int(time.time())}.{uuid.uuid4().hex[:16]}"


def _ts() -> str:
    return f"{time.time():.6f}"


# -- reading blocks --------------------------------------------------------------------------

def buttons(blocks: list[dict]) -> list[dict]:
    """Every button, with the block id of its block."""
    found = []
    for block in blocks:
        for element in block.get("elements") or []:
            if element.get("type") == "button":
                found.append({**element, "block_id": block.get("block_id")})
        accessory = block.get("accessory")
        if accessory and accessory.get("type") == "button":
            found.append({**accessory, "block_id": block.get("block_id")})
    return found


def button(blocks: list[dict], action_id: str) -> dict:
    matching = [b for b in buttons(blocks) if b["action_id"] == action_id]
    assert matching, f"no {action_id} button in {[b['action_id'] for b in buttons(blocks)]}"
    return matching[0]


def text_of(blocks: list[dict]) -> str:
    """The visible text of blocks, joined (sections, fields, context, headers)."""
    parts = []
    for block in blocks:
        for key in ("text",):
            if isinstance(block.get(key), dict):
                parts.append(block[key].get("text", ""))
        for item in (block.get("fields") or []) + (block.get("elements") or []):
            if isinstance(item, dict) and item.get("type") in ("mrkdwn", "plain_text"):
                parts.append(item.get("text", ""))
            elif isinstance(item, dict) and isinstance(item.get("text"), dict):
                parts.append(item["text"].get("text", ""))
    return "\n".join(parts)
