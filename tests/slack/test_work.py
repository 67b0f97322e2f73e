"""The work behind acknowledgements, on its own: taken on up to its bound, tried again after a
failure that may pass until it expires (then its person is told), ended at once by one that
will not pass, and taken up from a process that died."""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import time

import pytest

from canipost.slack.work import Work
from canipost.store import Store


class Recorder:
    """What the work's handler saw: its attempts and its apologies; fails as told."""

    def __init__(self, failure: Exception | None = None):
        self.failure = failure
        self.attempts: list[str] = []
        self.apologies: list[tuple[str, str]] = []
        self.done = threading.Event()
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self, job, apology: str | None = None) -> None:
        if apology:
            self.apologies.append((job.key, apology))
            self.done.set()
            return
        self.gate.wait(10)
        self.attempts.append(job.key)
        if self.failure is not None:
            raise self.failure
        self.done.set()


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "canipost.db") as opened:
        yield opened


def started(store, run, limit: int = 4) -> Work:
    work = Work(store.outbox, run, limit=limit, threads=2)
    work.start()
    return work


def test_beyond_its_bound_work_is_turned_away_and_retries_are_known(store):
    run = Recorder()
    run.gate.clear()  # hold the work in hand
    work = started(store, run, limit=2)
    try:
        assert work.accept("k1", "h", {}, {}) == "accepted"
        assert work.accept("k2", "h", {}, {}) == "accepted"
        assert work.accept("k3", "h", {}, {}) == "busy"
        assert work.accept("k1", "h", {}, {}) == "duplicate"
        assert store.outbox.counts() == {"pending": 2}, "nothing kept for the request turned away"
        run.gate.set()
        deadline = time.monotonic() + 5
        while work.pending():
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert work.accept("k3", "h", {}, {}) == "accepted"
    finally:
        work.stop(5)


def test_a_failure_that_may_pass_is_tried_again_until_the_work_expires_then_its_person_is_told(store):
    run = Recorder(ConnectionResetError("Slack went away"))
    # Left by a process on this host that died (no such pid), expiring in 6 seconds.
    store.outbox.accept("k", "h", {"body": {}}, owner=f"{socket.gethostname()}:999999:gone",
                        expires_in=dt.timedelta(seconds=6))
    work = started(store, run)
    try:
        assert run.done.wait(15)
    finally:
        work.stop(5)
    assert len(run.attempts) >= 2, "tried again"
    assert run.apologies == [("k", "late")]
    row = store.db.execute("SELECT status, attempts, last_error FROM outbox WHERE key = 'k'").fetchone()
    assert row[0] == "expired" and row[1] >= 1


def test_a_failure_that_will_not_pass_ends_the_work_at_once_and_its_person_is_told(store):
    run = Recorder(KeyError("a bug"))
    work = started(store, run)
    try:
        assert work.accept("k", "h", {}, {}) == "accepted"
        assert run.done.wait(5)
    finally:
        work.stop(5)
    assert run.attempts == ["k"] and run.apologies == [("k", "failed")]
    assert store.db.execute("SELECT status FROM outbox WHERE key = 'k'").fetchone()[0] == "failed"


def test_work_left_by_a_live_process_is_left_to_it(store):
    run = Recorder()
    store.outbox.accept("k", "h", {"body": {}}, owner=f"{socket.gethostname()}:{os.getppid()}:alive",
                        expires_in=dt.timedelta(minutes=30))
    work = started(store, run)
    try:
        time.sleep(2.5)
    finally:
        work.stop(5)
    assert run.attempts == [], "its lease is live and its process too"
