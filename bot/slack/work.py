"""The work behind each acknowledgement: kept in the outbox first, done on a few threads,
retried with backoff until delivered or expired, and never taken on beyond a bound.

    work = Work(services, limit=64, threads=8)
    outcome = work.accept(key, "answer_mention", body, context)   # "accepted", "duplicate" or "busy"

``accept`` runs on the acknowledging thread: one short database write, then the request is
acknowledged. Past ``limit`` requests in hand it writes nothing and says "busy", so the
listener can tell the person at once rather than answer them a minute late, and memory stays
bounded however hard Slack is flooded.

Workers run the handler registered under the job's name with a :class:`~.listeners.common.Turn`
rebuilt from the stored request, so a job taken over after a restart runs exactly as the
first attempt would have. A failure that may pass (Slack rate-limited or unreachable, a
worker process lost, the database busy) is tried again after 1, 2, 4... seconds (at most
five minutes apart) until the job expires; then the person is told. Any other failure is
final: logged, and the person told where Slack can still be reached.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import random
import socket
import threading
import time
import urllib.error
import uuid
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Mapping

from slack_sdk.errors import SlackApiError

from ..logs import log, request_scope
from ..store import Job, StoreBusy

LOGGER = logging.getLogger("canipost")
# Response URLs last 30 minutes; an answer later than that is no longer the answer asked for.
EXPIRES_IN = dt.timedelta(minutes=30)
MAX_BACKOFF_S = 300.0
SCAN_EVERY_S = 1.0
# What Slack says when a retry may succeed.
TRANSIENT_SLACK_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
# The request's context as the handlers read it: who the bot is, which workspace, the request id.
CONTEXT_KEYS = ("bot_user_id", "bot_id", "team_id", "enterprise_id", "user_id", "request_id")


def transient(exc: BaseException) -> bool:
    """Whether trying again later may succeed."""
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 200)
        return exc.response.get("error") in TRANSIENT_SLACK_ERRORS or status == 429 or status >= 500
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code == 429 or exc.code >= 500
    return isinstance(exc, (OSError, TimeoutError, BrokenProcessPool, StoreBusy)) or getattr(exc, "transient", False)


def backoff(attempts: int) -> float:
    """Seconds before attempt ``attempts + 1``: doubling from one, with jitter, at most five minutes."""
    return min(MAX_BACKOFF_S, 2.0 ** attempts) * random.uniform(0.8, 1.2)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Work:
    """Requests accepted from Slack, in hand until done."""

    def __init__(self, outbox, run: Callable[..., None], *, limit: int, threads: int):
        self.outbox = outbox
        self.run = run
        self.limit = limit
        self.threads = threads
        self.host = socket.gethostname()
        self.owner = f"{self.host}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._in_hand: set[str] = set()
        self._lock = threading.Lock()
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._stopping = threading.Event()
        self._workers: list[threading.Thread] = []
        self._scanner: threading.Thread | None = None

    # -- taking work on ----------------------------------------------------------------------

    def accept(self, key: str, handler: str, body: Mapping[str, Any], context: Mapping[str, Any]) -> str:
        """Keep the request's work in the outbox: "accepted", "duplicate" (a retry), or "busy" (full)."""
        with self._lock:
            if key in self._in_hand:
                return "duplicate"
            if len(self._in_hand) >= self.limit or self._stopping.is_set():
                return "busy"
            self._in_hand.add(key)
        payload = {"body": _without_token(body), "context": {k: context.get(k) for k in CONTEXT_KEYS if context.get(k)}}
        try:
            fresh = self.outbox.accept(key, handler, payload, owner=self.owner, expires_in=EXPIRES_IN)
        except BaseException:
            self._let_go(key)
            raise
        if not fresh:
            self._let_go(key)
            return "duplicate"
        now = dt.datetime.now(dt.timezone.utc)
        self._queue.put(Job(key, handler, payload, 0, now, now + EXPIRES_IN))
        return "accepted"

    def pending(self) -> int:
        with self._lock:
            return len(self._in_hand)

    def _let_go(self, key: str) -> None:
        with self._lock:
            self._in_hand.discard(key)

    # -- doing it ------------------------------------------------------------------------------

    def start(self) -> None:
        for n in range(self.threads):
            thread = threading.Thread(target=self._work, name=f"canipost-work-{n}", daemon=True)
            thread.start()
            self._workers.append(thread)
        self._scanner = threading.Thread(target=self._scan, name="canipost-outbox", daemon=True)
        self._scanner.start()

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                self._do(job)
            finally:
                self._let_go(job.key)

    def _do(self, job: Job) -> None:
        with request_scope(job.payload.get("context", {}).get("request_id")):
            if job.expires_at <= dt.datetime.now(dt.timezone.utc):
                self._give_up(job, "expired", "it was not delivered in time")
                return
            try:
                self.run(job)
            except Exception as exc:  # noqa: BLE001 - every failure is retried, or ends the job, here
                error = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
                # A message waiting its turn in a busy channel is tried again when its turn comes;
                # anything else after a backoff that doubles.
                turn = getattr(exc, "retry_after", None)
                delay = turn + random.uniform(0.0, 0.5) if turn else backoff(job.attempts)
                if transient(exc) and not self._stopping.is_set():
                    if dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=delay) < job.expires_at:
                        log("waiting_turn" if turn else "delivery_retry", level=logging.INFO if turn else logging.WARNING,
                            key=job.key, handler=job.handler, attempt=job.attempts + 1, error=error,
                            retry_in_s=round(delay, 1))
                        _quietly(self.outbox.retry_later, job.key, dt.timedelta(seconds=delay), str(error))
                        return
                    self._give_up(job, "expired", str(error))
                    return
                if transient(exc):  # stopping: the next process picks it up where it is
                    return
                LOGGER.error("failed", exc_info=True, extra={"fields": {
                    "handler": job.handler, "key": job.key, "slack_error": error if isinstance(exc, SlackApiError) else None}})
                _quietly(self.outbox.finish, job.key, "failed", str(error))
                # When Slack itself refused, telling the person through Slack would fail too.
                if not isinstance(exc, SlackApiError):
                    self._apologise(job, "failed")
            else:
                _quietly(self.outbox.finish, job.key, "done")

    def _give_up(self, job: Job, status: str, error: str) -> None:
        log("delivery_expired", level=logging.ERROR, key=job.key, handler=job.handler, attempts=job.attempts,
            error=error)
        _quietly(self.outbox.finish, job.key, status, error)
        self._apologise(job, "late")

    def _apologise(self, job: Job, why: str) -> None:
        try:
            self.run(job, apology=why)
        except Exception:  # noqa: BLE001 - already failing; the log has the first error
            LOGGER.warning("apology_failed", exc_info=True)

    def _scan(self) -> None:
        """Keep the leases of work in hand; take on work that is due (retries, and work a
        process that died left behind), as far as there is room."""
        while not self._stopping.wait(SCAN_EVERY_S):
            try:
                with self._lock:
                    in_hand = list(self._in_hand)
                    room = self.limit - len(self._in_hand)
                self.outbox.renew(self.owner, in_hand)
                if room <= 0:
                    continue
                for job in self.outbox.take(self.owner, room, self._dead_owners()):
                    with self._lock:
                        if job.key in self._in_hand:
                            continue
                        self._in_hand.add(job.key)
                    if job.attempts == 0:
                        log("delivery_resumed", key=job.key, handler=job.handler)
                    self._queue.put(job)
            except Exception:  # noqa: BLE001 - the next pass tries again
                LOGGER.warning("outbox_scan_failed", exc_info=True)

    def _dead_owners(self) -> list[str]:
        """Processes on this host that held work and are gone (or were this pid before a restart)."""
        dead = []
        for owner in self.outbox.owners():
            host, _, rest = owner.partition(":")
            pid = rest.partition(":")[0]
            if owner != self.owner and host == self.host and pid.isdigit() and (
                    int(pid) == os.getpid() or not _alive(int(pid))):
                dead.append(owner)
        return dead

    def stop(self, timeout: float) -> None:
        """Take nothing more; finish the work in hand for up to ``timeout`` seconds; leave what
        is left in the outbox, released for the next process to do at once."""
        self._stopping.set()
        for _ in self._workers:
            self._queue.put(None)  # after the work already queued: that is done first
        deadline = time.monotonic() + timeout
        for thread in self._workers:
            thread.join(max(0.0, deadline - time.monotonic()))
        if self._scanner is not None:
            self._scanner.join(SCAN_EVERY_S * 2)
        left = []
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                left.append(job.key)
        _quietly(self.outbox.release, left)
        if left:
            log("work_left_for_next_start", level=logging.WARNING, jobs=len(left))


def _without_token(body: Mapping[str, Any]) -> dict[str, Any]:
    """The request without Slack's (deprecated) verification token: it is a secret of the app."""
    return {k: v for k, v in body.items() if k != "token"}


def _quietly(step: Callable[..., Any], *args: Any) -> None:
    try:
        step(*args)
    except Exception:  # noqa: BLE001 - bookkeeping must not hide the outcome
        LOGGER.warning("outbox_bookkeeping_failed", exc_info=True)
