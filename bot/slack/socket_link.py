"""The Socket Mode connection, kept up unattended.

slack_sdk's ``websocket_client`` adapter, chosen by measurement against a local Socket Mode
stand-in (tests/slack/socketmode.py) and the SDK's built-in client:

    what was tried                    built-in (ping 5 s)   built-in (ping 2 s)   websocket_client
    first ack after a refresh         3.07 s                3.07 s                0.001 s
    back after a dropped connection   25.8 s                11.4 s                0.5 s
    back after a silently dead one    26.5 s                11.4 s                never (alone)

The built-in client takes three seconds to pick up the new connection after Slack's routine
refresh, which is Slack's whole deadline for the acknowledgement. ``websocket_client`` picks
it up at once and reconnects at once when the connection drops, but sends pings without ever
noticing that no pong comes back: :class:`SocketLink` watches for that itself, and replaces a
connection that has heard nothing (no message, no pong) for :data:`SILENT_AFTER_S`.

At start-up a Slack that cannot be reached is tried again with backoff (1, 2, 4... seconds,
at most a minute apart) while the service runs and /healthz says "not connected"; a token
Slack refuses stops the service, since trying again would not help.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any, Callable

from slack_bolt import App
from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.websocket_client import SocketModeClient

from ..errors import CanipostError
from ..logs import log

PING_S = 4.0
# A connection just opened has this long to come up before anything counts it as down.
CONNECTING_S = 5.0
SILENT_AFTER_S = 10.0  # two pings and a half unanswered: the connection is dead
WATCH_EVERY_S = 1.0
MAX_START_BACKOFF_S = 60.0
# What Slack says to a token it will never accept.
REFUSED = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
           "not_allowed_token_type", "missing_scope", "invalid_token"}


class TokenRefused(CanipostError):
    """Slack refused the app-level token."""


class SteadySocketModeClient(SocketModeClient):
    """slack_sdk's ``websocket_client`` client, minus a race: after a refresh it opens the new
    connection and closes the old, whose close then asks "am I connected?" before the new one
    has started, answers no, and opens another, and so on, each replacing the last before it
    runs. Here a connection just opened counts as connected for :data:`CONNECTING_S`; and the
    old connection is cut rather than closed politely (a polite close waits for Slack's reply
    while the client's one reader is still busy with it, holding the new connection back)."""

    _opened_at = 0.0

    def connect(self) -> None:
        self._opened_at = time.monotonic()
        old = self.current_session
        if old is not None:
            old.close = lambda **kwargs: cut(old)
        super().connect()

    def link_up(self) -> bool:
        """Whether a WebSocket is really open (not merely being opened)."""
        return super().is_connected()

    def is_connected(self) -> bool:
        return self.link_up() or time.monotonic() - self._opened_at < CONNECTING_S


class SocketLink:
    def __init__(self, app: App, app_token: str, on_refused: Callable[[str], None],
                 clock: Callable[[], float] = time.time):
        self.app = app
        self.client = SteadySocketModeClient(app_token=app_token, logger=app.logger, web_client=app.client,
                                             ping_interval=PING_S)
        self.client.socket_mode_request_listeners.append(self._handle)
        self.on_refused = on_refused
        self.clock = clock
        self._heard = 0.0
        self._linked = False  # a connection URL was obtained at least once
        self._stopping = threading.Event()
        self.client.on_message_listeners.append(lambda ws, message: self._hear())
        self.client.on_open_listeners.append(lambda ws: self._hear())

    def _hear(self) -> None:
        self._heard = self.clock()

    def _handle(self, client, request) -> None:
        """One envelope: through the Bolt app, and its acknowledgement back (Bolt's own adapter does the same)."""
        started = time.time()
        send_response(client, request, run_bolt_app(self.app, request), started)

    def silent_for(self) -> float:
        """Seconds since the connection last heard from Slack (a message or a pong)."""
        session = self.client.current_session
        pong = float(getattr(session, "last_pong_tm", 0) or 0)
        return self.clock() - max(self._heard, pong)

    def connected(self) -> bool:
        """Connected, and not silently dead."""
        return bool(self._linked and self.client.link_up() and self.silent_for() < SILENT_AFTER_S)

    def start(self) -> None:
        """Connect (a refused token raises :class:`TokenRefused`); if Slack cannot be reached,
        keep trying in the background. Then watch the connection."""
        try:
            self._connect()
        except TokenRefused:
            raise
        except Exception as exc:  # noqa: BLE001 - unreachable for now: retried below
            log("socket_mode_not_connected", level=logging.WARNING, error=_reason(exc), retry="with backoff")
            threading.Thread(target=self._connect_with_backoff, name="canipost-socket-start", daemon=True).start()
        threading.Thread(target=self._watch, name="canipost-socket-watch", daemon=True).start()

    def _connect(self) -> None:
        try:
            self.client.connect()
        except SlackApiError as exc:
            if exc.response.get("error") in REFUSED:
                raise TokenRefused(f"Slack refused SLACK_APP_TOKEN: {exc.response.get('error')}") from None
            raise
        self._linked = True
        self._hear()
        log("socket_mode_connecting")

    def _connect_with_backoff(self) -> None:
        delay = 1.0
        while not self._stopping.wait(delay):
            try:
                self._connect()
                return
            except TokenRefused as exc:
                self.on_refused(str(exc))
                return
            except Exception as exc:  # noqa: BLE001 - still unreachable
                delay = min(MAX_START_BACKOFF_S, delay * 2)
                log("socket_mode_not_connected", level=logging.WARNING, error=_reason(exc), retry_in_s=delay)

    def _watch(self) -> None:
        was_up = False
        while not self._stopping.wait(WATCH_EVERY_S):
            if not self._linked:
                continue
            up = self.connected()
            if up != was_up:
                log("socket_mode_connected" if up else "socket_mode_disconnected",
                    level=logging.INFO if up else logging.WARNING)
                was_up = up
            if self.client.link_up() and self.silent_for() >= SILENT_AFTER_S:
                log("socket_mode_silent", level=logging.WARNING, silent_s=round(self.silent_for(), 1))
                self._replace()

    def _replace(self) -> None:
        """Cut the dead connection under the client: its reader wakes at once, and the client
        reconnects to a fresh endpoint as it does after any close. (Closing it politely waits
        for a reply that will never come, and holds the new connection back meanwhile.)"""
        self._hear()  # the new connection gets its own time to say hello
        if getattr(self.client.current_session, "sock", None) is not None:
            cut(self.client.current_session)
            return
        try:
            self.client.connect_to_new_endpoint(force=True)
        except SlackApiError as exc:
            if exc.response.get("error") in REFUSED:
                self.on_refused(f"Slack refused SLACK_APP_TOKEN: {exc.response.get('error')}")
            else:
                log("socket_mode_reconnect_failed", level=logging.WARNING, error=_reason(exc))
        except Exception as exc:  # noqa: BLE001 - the next watch tries again
            log("socket_mode_reconnect_failed", level=logging.WARNING, error=_reason(exc))

    def status(self) -> dict[str, Any]:
        return {"mode": "socket", "socket_connected": self.connected(),
                "socket_silent_s": round(self.silent_for(), 1) if self._linked else None}

    def close(self) -> None:
        self._stopping.set()
        try:
            self.client.close()
        except Exception:  # noqa: BLE001 - closing anyway
            logging.getLogger("canipost").warning("socket_mode_close_failed", exc_info=True)


def cut(session) -> None:
    """Stop a websocket-client connection at once: its reader wakes and returns."""
    session.keep_running = False
    raw = getattr(getattr(session, "sock", None), "sock", None)
    if raw is not None:
        try:
            raw.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already gone


def _reason(exc: BaseException) -> str:
    return exc.response.get("error") if isinstance(exc, SlackApiError) else f"{type(exc).__name__}: {exc}"[:200]
