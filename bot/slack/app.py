"""The Bolt app, and the services its listeners share.

    services = Services.open(settings)          # engine, store (and, below, Slack client, advisors)
    app = build_app(settings, services)         # slack_bolt.App, listeners registered

Every request's work is kept in the outbox (see :mod:`.work`), then the request is
acknowledged; the work (answering, Web API calls, notices) runs afterwards on threads of its
own, and answers are worked out in processes of their own (see :mod:`.answering`), so no
acknowledgement ever waits on one. ``services.shutdown()`` finishes the work in hand (or
leaves it in the outbox for the next start) before the store closes.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
import uuid
from concurrent.futures import Executor, Future
from typing import Any, Callable

from slack_bolt import App, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from ..config import Settings
from ..errors import CanipostError, KnowledgeErrors
from ..logs import current_request_id, log
from . import sealing
from .shapes import well_formed

ADVISOR_GROUP_TTL_S = 300.0
WEB_API_TIMEOUT_S = 10
# The work is mostly waiting on Slack's Web API and on the answering processes: enough
# threads to overlap the waits.
WORK_THREADS = 8
# How long, on SIGTERM, the work in hand may take to finish before the rest is left in the outbox.
FINISH_WORK_S = 20


class InlineExecutor(Executor):
    """Runs what is submitted at once, on the caller's thread.

    Bolt (with process_before_response=False) hands each listener's ack function to its
    listener executor, then polls for the acknowledgement every 10 ms. canipost's listeners
    only look at the request, keep its work in the outbox and acknowledge, so they run on the
    request's own thread: the acknowledgement is ready before Bolt first looks, and no thread
    is handed a request just to wait for it. Everything slow happens later, in :mod:`.work`.
    """

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever reads the future
            future.set_exception(exc)
        return future


# Slack takes about one message a second in a channel (chat.postMessage); more is rate-limited.
POST_INTERVAL_S = 1.0
# A message that would wait longer than this for its turn gives its thread back and is tried
# again when its turn comes (so one busy channel does not hold every worker).
MAX_PACING_WAIT_S = 2.0


class Paced(Exception):
    """A message must wait its turn in a busy channel: try the work again after ``retry_after`` seconds."""

    transient = True

    def __init__(self, channel: str, retry_after: float):
        super().__init__(f"channel {channel} is busy; next message in {retry_after:.1f} s")
        self.retry_after = retry_after


class ChannelPace:
    """The next moment each channel may take another message, about a second apart."""

    def __init__(self, interval: float = POST_INTERVAL_S, clock: Callable[[], float] = time.monotonic,
                 size: int = 10_000):
        self.interval, self.clock, self.size = interval, clock, size
        self._next: collections.OrderedDict[str, float] = collections.OrderedDict()
        self._lock = threading.Lock()

    def turn(self, channel: str, max_wait: float = MAX_PACING_WAIT_S) -> float:
        """Seconds to wait before posting to ``channel`` (the slot is then taken); raises
        :class:`Paced` when that would be longer than ``max_wait`` (no slot taken)."""
        with self._lock:
            now = self.clock()
            at = max(now, self._next.get(channel, now))
            if at - now > max_wait:
                raise Paced(channel, at - now)
            self._next[channel] = at + self.interval
            self._next.move_to_end(channel)
            while len(self._next) > self.size:
                self._next.popitem(last=False)
            return at - now


class PacedWebClient(WebClient):
    """slack_sdk's client, posting about one message a second to each channel."""

    def __init__(self, *args, pace: ChannelPace | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.pace = pace or ChannelPace()

    def chat_postMessage(self, *, channel: str, **kwargs):  # noqa: N802 - slack_sdk's name
        wait = self.pace.turn(channel)
        if wait > 0:
            time.sleep(wait)
        return super().chat_postMessage(channel=channel, **kwargs)


def retry_handlers() -> list:
    """slack_sdk's own retries: a 429 after its Retry-After, a dropped connection and a 5xx
    after a short backoff. What still fails goes back to the work, which tries again later."""
    return [RateLimitErrorRetryHandler(max_retry_count=2), ConnectionErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2)]


def make_client(settings: Settings) -> WebClient:
    """The Web API client, at ``SLACK_API_URL`` (slack.com, GovSlack, a proxy or a test stand-in)."""
    return PacedWebClient(token=settings.slack_bot_token or None, base_url=settings.slack_api_url,
                          timeout=WEB_API_TIMEOUT_S, retry_handlers=retry_handlers())


class Advisors:
    """Who the ethics advisors are: ``CANIPOST_ADVISORS`` user ids, or one user group's members.

    A group's members are fetched with usergroups.users.list and kept a few minutes, so a
    button press rarely waits for Slack; if Slack cannot be asked, the last list known is
    used, and with none, nobody is treated as an advisor (refusing is the safe mistake).
    """

    def __init__(self, settings: Settings, client: WebClient | None, ttl: float = ADVISOR_GROUP_TTL_S,
                 clock: Callable[[], float] = time.monotonic):
        self.ids = frozenset(settings.advisors)
        self.group = settings.advisors_group
        self.client = client
        self.ttl = ttl
        self.clock = clock
        self._members: frozenset[str] | None = None
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def known(self, user_id: str) -> bool | None:
        """Whether ``user_id`` is an advisor, if that can be told without asking Slack."""
        if not self.group:
            return user_id in self.ids
        if self._members is not None and self.clock() - self._fetched_at < self.ttl:
            return user_id in self._members
        return None

    def check(self, user_id: str) -> bool:
        """Whether ``user_id`` is an advisor (may ask Slack for the group's members)."""
        answer = self.known(user_id)
        if answer is not None:
            return answer
        with self._lock:
            answer = self.known(user_id)  # another thread may have fetched it meanwhile
            if answer is not None:
                return answer
            try:
                response = self.client.usergroups_users_list(usergroup=self.group)
                self._members = frozenset(response.get("users") or [])
                self._fetched_at = self.clock()
                log("advisors_fetched", group=self.group, members=len(self._members))
            except Exception as exc:  # noqa: BLE001 - any failure: fall back, and say so
                error = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
                log("advisors_fetch_failed", level=logging.WARNING, group=self.group, error=error,
                    using="the last list fetched" if self._members is not None else "nobody")
                if self._members is None:
                    return False
            return user_id in self._members


class Threads:
    """Threads canipost answered in (and ones it looked at and did not), most recent kept.

    A reply in a thread reaches canipost as a plain channel message; this tells whether to
    answer it without asking Slack each time.
    """

    def __init__(self, size: int = 5000):
        self.size = size
        self._seen: collections.OrderedDict[tuple[str, str], bool] = collections.OrderedDict()
        self._lock = threading.Lock()

    def mark(self, channel: str, thread_ts: str, ours: bool = True) -> None:
        with self._lock:
            self._seen[(channel, thread_ts)] = ours
            self._seen.move_to_end((channel, thread_ts))
            while len(self._seen) > self.size:
                self._seen.popitem(last=False)

    def known(self, channel: str, thread_ts: str) -> bool | None:
        with self._lock:
            return self._seen.get((channel, thread_ts))


class Services:
    """What the listeners work with: settings, the engine (swapped on reload), the store,
    the Slack client, the advisors, the work in hand and the processes that answer."""

    def __init__(self, settings: Settings, engine, store, client: WebClient | None = None):
        self.settings = settings
        self._engine = engine
        self.store = store
        self.client = client
        self.advisors = Advisors(settings, client)
        self.threads = Threads()
        self.handlers: dict[str, Any] = {}  # the work each kind of request needs, by name
        self.work = None  # the Work in hand (.work), set by build_app
        self.pool = None  # the AnswerPool, set by build_app
        self.loaded_at = time.time()
        self._reload_lock = threading.Lock()
        self._precedents_version: tuple | None = None
        self._seal_key = sealing.seal_key(settings.secrets())

    def seal(self, **values: Any) -> str:
        """private_metadata for a modal: ``values``, sealed so that they come back as written."""
        return sealing.seal(self._seal_key, **values)

    def unseal(self, view: dict) -> dict[str, Any] | None:
        """What :meth:`seal` wrote into ``view``; None if it is not that."""
        return sealing.unseal(self._seal_key, view.get("private_metadata"))

    @classmethod
    def open(cls, settings: Settings) -> "Services":
        """The engine over ``settings.knowledge_dir`` (validated) and the store, with precedents."""
        from ..engine import Engine
        from ..store import Store

        engine = Engine.load(settings.knowledge_dir, default_profile=settings.profile)
        store = Store.open(settings)
        services = cls(settings, engine, store)
        try:
            services.refresh_precedents()
        except BaseException:
            store.close()
            raise
        return services

    @property
    def engine(self):
        return self._engine

    def refresh_precedents(self) -> None:
        self._precedents_version = self.store.precedents.version()
        self._engine.precedents.replace(self.store.precedents.list())

    def precedents_current(self) -> None:
        """Search precedents marked since the last look, wherever they were marked."""
        if self.store.precedents.version() != self._precedents_version:
            self.refresh_precedents()

    def answer(self, text: str, *, mode: str, profile: str, capacity: str | None) -> tuple[dict, str]:
        """(the answer's contract dict, with finding labels; the text as answered), worked out
        in an answering process (in this one when there is no pool)."""
        version = self.store.precedents.version()
        if self.pool is not None:
            return self.pool.answer(text, mode=mode, profile=profile, capacity=capacity, precedents=version)
        from .answering import answer_data

        self.precedents_current()
        result = self._engine.answer(text, mode=mode, profile=profile, capacity=capacity)
        return answer_data(result), result.text

    def start(self) -> None:
        """Start the answering processes (each loads the knowledge base) and the work."""
        if self.pool is not None:
            self.pool.warm()
        if self.work is not None:
            self.work.start()

    def reload_knowledge(self) -> bool:
        """Load the knowledge base again and switch to it, if it is valid; else keep the old one.

        The new engine is built and tried beside the old, then swapped in with one
        assignment: a question being answered finishes on the engine it started with.
        """
        from ..engine import Engine

        with self._reload_lock:
            started = time.monotonic()
            try:
                engine = Engine.load(self.settings.knowledge_dir, default_profile=self.settings.profile)
                engine.answer("Can I post a photo of my team's morning tea?", mode="ask")
                engine.precedents.replace(self.store.precedents.list())
            except KnowledgeErrors as exc:
                log("knowledge_reload_refused", level=logging.ERROR, problems=len(exc.errors),
                    errors=[str(e) for e in exc.errors[:20]], kept="the knowledge base already loaded")
                return False
            except CanipostError as exc:
                log("knowledge_reload_refused", level=logging.ERROR, errors=[str(exc)],
                    kept="the knowledge base already loaded")
                return False
            except Exception as exc:  # noqa: BLE001 - whatever went wrong, the old engine stays
                logging.getLogger("canipost").error("knowledge_reload_refused", exc_info=True, extra={
                    "fields": {"errors": [type(exc).__name__], "kept": "the knowledge base already loaded"}})
                return False
            self._engine = engine
            self.loaded_at = time.time()
            if self.pool is not None:
                self.pool.restart()
            log("knowledge_reloaded", profile=self.settings.profile,
                provisions=len(engine.kb.provisions_for(self.settings.profile)),
                seconds=round(time.monotonic() - started, 3))
            return True

    def health(self) -> tuple[bool, dict[str, Any]]:
        engine = self._engine
        try:
            self.store.database.query("SELECT 1")
            database = "ok"
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            database = f"error: {type(exc).__name__}"
        body = {
            "status": "ok" if database == "ok" else "error",
            "profile": self.settings.profile,
            "provisions": len(engine.kb.provisions_for(self.settings.profile)),
            "knowledge": "custom" if self.settings.knowledge_dir else "bundled",
            "knowledge_loaded_at": int(self.loaded_at),
            "database": database,
        }
        if self.work is not None:
            body["work"] = {"in_hand": self.work.pending(), "limit": self.work.limit}
        return database == "ok", body

    def shutdown(self) -> None:
        """Finish the work in hand (what is left stays in the outbox for the next start), then
        stop the answering processes and close the store."""
        if self.work is not None:
            self.work.stop(FINISH_WORK_S)
        if self.pool is not None:
            self.pool.shutdown()
        self.store.close()
        log("stopped")


def _quiet_token_warning(make: Callable[[], App]) -> App:
    # Bolt reads SLACK_BOT_TOKEN from the environment itself and, the client being given
    # too, warns that the token "will be unused": true, harmless, and alarming in a log.
    framework = logging.getLogger("slack_bolt.App")

    def drop(record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()

    framework.addFilter(drop)
    try:
        return make()
    finally:
        framework.removeFilter(drop)


class CheckRequest(Middleware):
    """Once the signature is checked: answer Slack's certificate check (``ssl_check=1``), and
    refuse a request not shaped as Slack's are (see :mod:`.shapes`). A Middleware of its own,
    not a function, because Bolt reads fields of the request to call a function middleware."""

    def process(self, *, req, resp, next):  # noqa: A002 - Bolt's name for it
        body = req.body
        if not well_formed(body):
            log("malformed_request_refused", level=logging.WARNING, type=str(body.get("type"))[:40])
            return BoltResponse(status=400, body="")
        if body.get("ssl_check") == "1":
            return BoltResponse(status=200, body="")
        return next()


def build_app(settings: Settings, services: Services | None = None, *, socket_mode: bool = False) -> App:
    """The Bolt app: signed requests only (HTTP mode), listeners registered, work after the ack."""
    from .answering import AnswerPool
    from .listeners import register_listeners
    from .listeners.common import run_job
    from .work import Work

    services = services or Services.open(settings)
    if services.client is None:
        services.client = make_client(settings)
        services.advisors.client = services.client
    services.pool = AnswerPool(settings, settings.answer_processes)
    services.work = Work(services.store.outbox, lambda job, apology=None: run_job(services, job, apology),
                         limit=settings.queue_limit, threads=WORK_THREADS)
    app = _quiet_token_warning(lambda: App(
        name="canipost",
        client=services.client,
        signing_secret=settings.slack_signing_secret,
        request_verification_enabled=not socket_mode,
        # Bolt answers Slack's ssl_check before checking the signature; here it is answered
        # after (by CheckRequest), so an unsigned one gets 401 like any other request.
        ssl_check_enabled=False,
        before_authorize=CheckRequest(),
        # auth.test runs on the first request instead: a Slack that is briefly unreachable
        # at start-up must not stop the service from starting (and answering /healthz).
        token_verification_enabled=False,
        process_before_response=False,
        listener_executor=InlineExecutor(),
        # Slack retries what is not handled; every kind of request has a listener anyway.
        raise_error_for_unhandled_request=False,
    ))
    @app.middleware
    def request_id(context, next):  # noqa: A002 - Bolt's name for it
        # Lazy work runs on other threads: the id rides in the context to tag their logs.
        context["request_id"] = current_request_id() or uuid.uuid4().hex[:12]
        return next()

    register_listeners(app, services)
    return app
