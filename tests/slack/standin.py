"""A stand-in for the Slack Web API and for response URLs, recording every call.

It runs in a thread on 127.0.0.1, answers ``{"ok": true, ...}`` with plausible data for
each method the app uses (auth.test with the bot's ids, chat.postMessage with a fresh ts,
views.open with a view id, usergroups.users.list with members, ...), and can be told to
fail a call or to be slow, the way bolt-python's own tests stand in for Slack.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

BOT_USER = "U0CANIPOST"
BOT_ID = "B0CANIPOST"
TEAM = "T0TEST"


@dataclass
class Call:
    method: str  # "chat.postMessage", or "response_url" for anything outside /api/
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    raw: str
    response: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    at: float = 0.0

    @property
    def text(self) -> str:
        """Everything the app sent, as text, to search (raw and decoded)."""
        return self.raw + "\n" + json.dumps(self.body, ensure_ascii=False)

    @property
    def blocks(self) -> list[dict]:
        if self.method.startswith("views."):
            return (self.body.get("view") or {}).get("blocks") or []
        return self.body.get("blocks") or []

    @property
    def view(self) -> dict:
        return self.body.get("view") or {}

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.response.get("ok", True) is not False


@dataclass
class Rule:
    """Answer matching calls with an error (or slowly), ``times`` times (None: always)."""

    method: str
    when: Callable[[Call], bool]
    error: str | None = None
    status: int = 200
    delay: float = 0.0
    times: int | None = 1
    headers: dict[str, str] = field(default_factory=dict)


class StandIn:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.rules: list[Rule] = []
        self.group_members: dict[str, list[str]] = {}
        # Messages posted, by channel, as conversations.history and .replies give them back.
        self.messages: dict[str, list[dict[str, Any]]] = {}
        # What apps.connections.open hands out (a Socket Mode stand-in's address; by default, nowhere).
        self.socket_url = "ws://127.0.0.1:9/link/?ticket="
        self.lock = threading.Lock()
        self._ts = itertools.count(1)
        self._views = itertools.count(1)
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - http.server's naming
                stand_in._handle(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_url = self.url + "/api/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "StandIn":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- telling it what to do ---------------------------------------------------------------

    def fail(self, method: str, when: Callable[[Call], bool] = lambda call: True, error: str = "internal_error",
             status: int = 200, times: int | None = 1, headers: dict[str, str] | None = None) -> Rule:
        rule = Rule(method, when, error=error, status=status, times=times, headers=headers or {})
        with self.lock:
            self.rules.append(rule)
        return rule

    def slow(self, method: str, seconds: float, when: Callable[[Call], bool] = lambda call: True,
             times: int | None = None) -> Rule:
        rule = Rule(method, when, delay=seconds, times=times)
        with self.lock:
            self.rules.append(rule)
        return rule

    def response_url(self, name: str) -> str:
        return f"{self.url}/hooks/{name}"

    # -- reading what happened -----------------------------------------------------------------

    def since(self, mark: int = 0, method: str | None = None) -> list[Call]:
        with self.lock:
            calls = list(self.calls[mark:])
        return [c for c in calls if method is None or c.method == method]

    def mark(self) -> int:
        with self.lock:
            return len(self.calls)

    def wait_for(self, predicate: Callable[[Call], bool], count: int = 1, timeout: float = 8.0,
                 mark: int = 0) -> list[Call]:
        """The matching calls, once there are at least ``count`` (fails after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.since(mark) if predicate(c)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                seen = [f"{c.method} {c.path}" for c in self.since(mark)][-30:]
                raise AssertionError(f"expected {count} matching call(s), got {len(found)}; recent calls: {seen}")
            time.sleep(0.02)

    # -- the server ----------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        raw = request.rfile.read(int(request.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
        path = request.path
        method = path.split("?")[0][len("/api/"):] if path.startswith("/api/") else "response_url"
        body = _parse(raw, request.headers.get("Content-Type", ""))
        call = Call(method, path, {k.lower(): v for k, v in request.headers.items()}, body, raw, at=time.monotonic())
        rule = self._rule_for(call)
        if rule and rule.delay:
            time.sleep(rule.delay)
        if rule and rule.error:
            call.status = rule.status
            call.response = {"ok": False, "error": rule.error}
        else:
            call.response = self._answer(call)
        with self.lock:
            self.calls.append(call)
        payload = json.dumps(call.response).encode()
        request.send_response(call.status)
        for name, value in (rule.headers if rule else {}).items():
            request.send_header(name, value)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    def _rule_for(self, call: Call) -> Rule | None:
        with self.lock:
            for rule in self.rules:
                if rule.method == call.method and rule.times != 0 and rule.when(call):
                    if rule.times is not None:
                        rule.times -= 1
                    return rule
        return None

    def _answer(self, call: Call) -> dict[str, Any]:
        body = call.body
        method = call.method
        if method == "auth.test":
            return {"ok": True, "url": "https://test.slack.com/", "team": "Test Agency", "user": "canipost",
                    "team_id": TEAM, "user_id": BOT_USER, "bot_id": BOT_ID, "is_enterprise_install": False}
        if method == "chat.postMessage":
            ts = f"1700000000.{next(self._ts):06d}"
            message = {"ts": ts, "text": body.get("text"), "bot_id": BOT_ID, "user": BOT_USER,
                       "thread_ts": body.get("thread_ts")}
            metadata = body.get("metadata")
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            if metadata:
                message["metadata"] = metadata
            with self.lock:
                self.messages.setdefault(body.get("channel"), []).append(message)
            return {"ok": True, "channel": body.get("channel"), "ts": ts, "message": message}
        if method == "conversations.history":
            with self.lock:
                found = list(self.messages.get(body.get("channel"), []))
            return {"ok": True, "messages": found[::-1], "has_more": False}
        if method == "chat.update":
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts"), "text": body.get("text")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000000.{next(self._ts):06d}"}
        if method.startswith("views."):
            view_id = body.get("view_id") or f"V{next(self._views):08d}"
            return {"ok": True, "view": {**(body.get("view") or {}), "id": view_id, "hash": f"h{view_id}"}}
        if method == "usergroups.users.list":
            return {"ok": True, "users": self.group_members.get(body.get("usergroup"), [])}
        if method == "conversations.replies":
            with self.lock:
                replies = [m for m in self.messages.get(body.get("channel"), []) if m.get("thread_ts") == body.get("ts")]
            return {"ok": True, "messages": [{"ts": body.get("ts"), "user": "U0SOMEONE", "text": "hello"}] + replies,
                    "has_more": False}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket_url + f"t{next(self._ts)}"}
        return {"ok": True}


def _parse(raw: str, content_type: str) -> dict[str, Any]:
    if "json" in content_type:
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            return {}
    body: dict[str, Any] = {k: v[-1] for k, v in urllib.parse.parse_qs(raw, keep_blank_values=True).items()}
    for key in ("blocks", "view", "attachments"):
        if isinstance(body.get(key), str):
            try:
                body[key] = json.loads(body[key])
            except ValueError:
                pass
    return body
