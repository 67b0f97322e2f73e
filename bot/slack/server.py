"""The service: an ASGI app for uvicorn, in HTTP mode or beside a Socket Mode connection.

    POST /slack/events   every Slack request (events, commands, shortcuts, buttons, modals),
                         checked against the signing secret by Bolt (HTTP mode only)
    GET  /healthz        200 {"status": "ok", "profile", "provisions", "database", ...}, or 503

Bolt's ASGI adapter runs ``App.dispatch`` on the event loop itself; here it runs on a pool of
threads, so one request waiting for its acknowledgement does not hold up the others.

Signals: SIGTERM (uvicorn) stops accepting requests and lets those in flight finish; then
the work already accepted is finished (or left in the outbox for the next start), and the
store closed. SIGHUP reloads the
knowledge base (an invalid one is refused and the old one kept).
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier

from ..config import Settings
from ..errors import CanipostError
from ..logs import log, request_scope
from .app import Services, build_app

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
# Dispatching is CPU work (acknowledgements run inline; the slow work is queued): a few threads.
DISPATCH_THREADS = 4
GRACEFUL_SHUTDOWN_S = 25  # within compose's 30-second stop_grace_period
# Slack's requests are small (a 40,000-character message, escaped, with its blocks, stays well
# under this); anything bigger is refused before it is read, let alone checked.
MAX_BODY_BYTES = 1024 * 1024
# A body must arrive within this: a connection that never finishes one is closed.
BODY_TIMEOUT_S = 10
# Connections open at once; past it, uvicorn answers 503 at once.
MAX_CONNECTIONS = 500
# A keep-alive connection with nothing to say is closed after this.
KEEP_ALIVE_S = 20
GC_THRESHOLD = 20_000  # see _tune_gc

LOGGER = logging.getLogger("canipost")


class TooLarge(Exception):
    """A request body over :data:`MAX_BODY_BYTES`."""


class SlackDoor:
    """Slack's endpoint: a body of bounded size, read within a deadline, before anything else
    looks at it; then the signature (slack_sdk's verifier); then Bolt (which checks the
    request's shape first, see :mod:`.shapes`), on a pool of threads, so one request waiting for its
    acknowledgement does not hold up the others. Whatever is refused, signed or not, gets a 4xx
    and one log line: never a 500, never a traceback."""

    def __init__(self, app: App, executor: ThreadPoolExecutor, signing_secret: str):
        self.app = app
        self.executor = executor
        self.verifier = SignatureVerifier(signing_secret)

    async def __call__(self, scope, receive, send) -> None:
        if scope["method"] != "POST":
            await _json(send, 405, {"error": "method not allowed"}, {"allow": "POST"})
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            await self._refuse(send, 413, "the body is larger than a Slack request can be", bytes=int(declared))
            return
        try:
            raw = await asyncio.wait_for(_read_body(receive), BODY_TIMEOUT_S)
        except TooLarge:
            await self._refuse(send, 413, "the body is larger than a Slack request can be")
            return
        except asyncio.TimeoutError:
            await self._refuse(send, 408, f"the body did not arrive within {BODY_TIMEOUT_S} seconds")
            return
        except ConnectionError:
            return  # the client went away
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            await self._refuse(send, 400, "the body is not UTF-8")
            return
        if not self.verifier.is_valid_request(body, headers):
            await self._refuse(send, 401, "the request is not signed with the app's signing secret, or is stale")
            return
        query = scope.get("query_string", b"").decode("latin-1")
        loop = asyncio.get_running_loop()
        try:
            response = await loop.run_in_executor(self.executor, self._dispatch, body, query, headers)
        except Exception as exc:  # noqa: BLE001 - a body Bolt cannot read (signed or not)
            await self._refuse(send, 400, "the request could not be read", error=type(exc).__name__)
            return
        raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, values in response.headers.items()
                       for v in (values if isinstance(values, (list, tuple)) else [values])]
        payload = (response.body or "").encode("utf-8")
        await send({"type": "http.response.start", "status": response.status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": payload})

    def _dispatch(self, body: str, query: str, headers: dict) -> Any:
        with request_scope():
            # A body Bolt cannot parse (broken JSON), or JSON that is not an object, raises here:
            # the door refuses it with 400. The shape of the rest is checked by Bolt middleware
            # (app.CheckRequest, with :mod:`.shapes`).
            request = BoltRequest(body=body, query=query, headers=headers)
            if not isinstance(request.body, dict):
                raise ValueError("not a JSON object")
            return self.app.dispatch(request)

    @staticmethod
    async def _refuse(send, status: int, reason: str, **fields) -> None:
        log("request_refused", level=logging.WARNING, status=status, reason=reason, **fields)
        await _json(send, status, {"error": reason}, {"connection": "close"})


async def _read_body(receive) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionError("client disconnected")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise TooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class Server:
    """The ASGI application: Slack's endpoint (unless in Socket Mode), the health check and
    the lifecycle (startup hooks; on shutdown, finish the work and close the store)."""

    def __init__(self, services: Services, app: App | None = None, *,
                 on_startup: tuple[Callable[[], None], ...] = (), on_shutdown: tuple[Callable[[], None], ...] = (),
                 status: Callable[[], dict[str, Any]] | None = None):
        self.services = services
        self.status = status
        self.dispatch_pool = ThreadPoolExecutor(max_workers=DISPATCH_THREADS, thread_name_prefix="canipost-http")
        self.slack = (SlackDoor(app, self.dispatch_pool, services.settings.slack_signing_secret)
                      if app is not None else None)
        self.on_startup = on_startup
        self.on_shutdown = on_shutdown

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            if scope["path"] == HEALTH_PATH:
                await self._health(scope, send)
            elif scope["path"] == EVENTS_PATH and self.slack is not None:
                await self.slack(scope, receive, send)
            else:
                await _json(send, 404, {"error": "not found"})

    async def _health(self, scope, send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await _json(send, 405, {"error": "method not allowed"}, {"allow": "GET, HEAD"})
            return
        # The database check takes the store's lock: off the event loop.
        ok, body = await asyncio.get_running_loop().run_in_executor(self.dispatch_pool, self.services.health)
        if self.status is not None:
            body.update(self.status())
            # In Socket Mode, a service without its connection to Slack answers nobody: unhealthy.
            if body.get("socket_connected") is False:
                ok, body["status"] = False, "not connected to Slack"
        await _json(send, 200 if ok else 503, body, head=scope["method"] == "HEAD")

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    for hook in self.on_startup:
                        await asyncio.to_thread(hook)
                except CanipostError as exc:  # a reason to show as it is (a refused token, say)
                    log("startup_failed", level=logging.ERROR, error=str(exc))
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                except Exception as exc:  # noqa: BLE001 - reported to uvicorn, which exits
                    LOGGER.error("startup_failed", exc_info=True)
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await asyncio.to_thread(self.shutdown)
                await send({"type": "lifespan.shutdown.complete"})
                return

    def shutdown(self) -> None:
        """After uvicorn has let the requests in flight finish: stop taking work, finish the
        work already accepted, close the store."""
        log("stopping")
        for hook in self.on_shutdown:
            try:
                hook()
            except Exception:  # noqa: BLE001 - keep shutting down
                LOGGER.warning("shutdown_step_failed", exc_info=True)
        self.dispatch_pool.shutdown(wait=True)
        self.services.shutdown()


async def _json(send, status: int, body: dict, headers: dict | None = None, head: bool = False) -> None:
    payload = json.dumps(body).encode()
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                   (b"cache-control", b"no-store")]
    raw_headers += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": b"" if head else payload})


def serve(settings: Settings, *, http: bool = False, host: str = "0.0.0.0", port: int | None = None) -> int:
    """Run canipost until SIGTERM: Socket Mode when SLACK_APP_TOKEN is set (unless ``http``),
    else HTTP on ``port``. The HTTP server runs in both modes, for /healthz."""
    import uvicorn

    socket_mode = bool(settings.slack_app_token) and not http
    services = Services.open(settings)
    app = build_app(settings, services, socket_mode=socket_mode)
    on_startup: tuple[Callable[[], None], ...] = (services.start,)
    on_shutdown: tuple[Callable[[], None], ...] = ()
    exit_status = {"code": 0}
    link = None
    if socket_mode:
        from .socket_link import SocketLink

        def refused(reason: str) -> None:
            # Trying again would not help: stop, saying why (the exit status says it too).
            log("socket_mode_refused", level=logging.ERROR, error=reason)
            exit_status["code"] = 3
            os.kill(os.getpid(), signal.SIGTERM)

        link = SocketLink(app, settings.slack_app_token, on_refused=refused)
        on_startup, on_shutdown = on_startup + (link.start,), (link.close,)

    def status() -> dict[str, Any]:
        return {"mode": "http"} if link is None else link.status()

    server = Server(services, None if socket_mode else app, on_startup=on_startup, on_shutdown=on_shutdown,
                    status=status)
    _tune_gc()
    _handle_signals(services, exit_status)
    port = port or settings.port
    log("serving", mode="socket" if socket_mode else "http", host=host, port=port, profile=settings.profile,
        provisions=len(services.engine.kb.provisions_for(settings.profile)), api_url=settings.slack_api_url,
        events=None if socket_mode else EVENTS_PATH)
    uvicorn.run(server, host=host, port=port, log_config=None, access_log=False, lifespan="on",
                http="httptools", timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S, server_header=False,
                limit_concurrency=MAX_CONNECTIONS, timeout_keep_alive=KEEP_ALIVE_S)
    return 0


def _tune_gc() -> None:
    """The engine's indexes are a large object graph that lives as long as the process: frozen,
    the collector stops walking it again and again. Each request allocates thousands of
    short-lived objects (Bolt copies every request for its lazy listener): a larger first
    generation collects them in fewer, cheaper passes. Together they take the collector's
    pauses out of the acknowledgement times under load."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 20, 20)


def _handle_signals(services: Services, exit_status: dict[str, int]) -> None:
    def reload_and_refreeze() -> None:
        if services.reload_knowledge():
            gc.unfreeze()  # let the old engine go
            gc.collect()
            gc.freeze()

    def reload(signum, frame) -> None:
        log("reload_requested", signal="SIGHUP")
        # Loading takes a moment; the signal handler runs on the event loop's thread.
        threading.Thread(target=reload_and_refreeze, name="canipost-reload", daemon=True).start()

    def stopped(signum, frame) -> None:
        # uvicorn handles SIGTERM itself, then raises it again once it has shut down, to
        # whatever handler was there before: this one, so that a clean stop exits with 0 (or
        # with 3 when the stop was Slack refusing the token).
        sys.exit(exit_status["code"])

    signal.signal(signal.SIGHUP, reload)
    signal.signal(signal.SIGTERM, stopped)
