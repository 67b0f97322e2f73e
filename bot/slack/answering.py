"""Answers worked out in processes of their own, so the acknowledging threads never wait.

An answer to a long, awkward draft takes a few hundred milliseconds of CPU, most of it in
regular expressions that hold Python's interpreter lock from start to end: answered on a
thread, four of them at once kept every acknowledgement waiting behind them (Slack gives up
after 3 seconds). In worker processes, at a lower scheduling priority than the server, they
take a core each and the server's threads go on acknowledging.

    pool = AnswerPool(settings, workers=2)
    data, text = pool.answer("draft", mode="check", profile="au-aps", capacity=None, precedents=version)

Long texts (a pasted report, a 40,000-character paste gone wrong) take a lane of their own, one
process, so that a few of them never hold up everyone's ordinary questions behind them.

Each worker loads the knowledge base once; :meth:`AnswerPool.restart` starts fresh workers
(after a reload), letting the old ones finish what they hold. Precedents come from the
database: a worker reads them again whenever the version it is given has moved on.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import signal
import threading
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

# Workers yield the CPU to the server's acknowledging threads whenever both want it.
WORKER_NICENESS = 10
# Texts longer than this are answered in the long lane (they take from tens to hundreds of ms).
LONG_TEXT = 4_000

_worker: dict[str, Any] = {}


def _die_with_parent() -> None:
    """Linux: have the kernel kill this process when the server dies, however it dies (a
    SIGKILL leaves no chance to stop the workers), so none is left behind answering nobody."""
    try:
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: a worker finds its parent gone when it next reads a job, and exits


def _start_worker(knowledge_dir: str | None, profile: str, db_path: str) -> None:
    from ..engine import Engine

    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when work stops
    try:
        os.nice(WORKER_NICENESS)
    except OSError:
        pass
    _worker.update(engine=Engine.load(knowledge_dir, default_profile=profile), db_path=db_path,
                   precedents=None, store=None)


def answer_data(result) -> dict:
    """The contract dict, with each finding's label (the Slack message shows it)."""
    data = result.to_dict()
    for finding, out in zip(result.findings, data["findings"]):
        out["label"] = finding.spec.label
    return data


def _answer(text: str, mode: str, profile: str, capacity: str | None, precedents: Any) -> tuple[dict, str]:
    engine = _worker["engine"]
    if precedents != _worker["precedents"]:
        from ..store import Store

        if _worker["store"] is None:
            _worker["store"] = Store(_worker["db_path"])
        engine.precedents.replace(_worker["store"].precedents.list())
        _worker["precedents"] = precedents
    result = engine.answer(text, mode=mode, profile=profile, capacity=capacity)
    return answer_data(result), result.text


class AnswerPool:
    """A few worker processes answering questions with the engine."""

    def __init__(self, settings, workers: int):
        self.settings = settings
        self.workers = workers
        self._lock = threading.Lock()
        # Started afresh (not forked from a server with threads running), as the server's own
        # children, so that they die with it.
        self._context = multiprocessing.get_context("spawn")
        self._pools = {"short": self._new_pool(workers), "long": self._new_pool(1)}

    def _new_pool(self, workers: int) -> concurrent.futures.ProcessPoolExecutor:
        knowledge = str(self.settings.knowledge_dir) if self.settings.knowledge_dir else None
        return concurrent.futures.ProcessPoolExecutor(
            max_workers=workers, mp_context=self._context, initializer=_start_worker,
            initargs=(knowledge, self.settings.profile, str(Path(self.settings.db_path))))

    def answer(self, text: str, *, mode: str, profile: str, capacity: str | None, precedents: Any) -> tuple[dict, str]:
        """(the answer's contract dict with finding labels, the text as answered). Raises what the engine raises."""
        lane = "long" if len(text) > LONG_TEXT else "short"
        pool = self._pools[lane]
        try:
            return pool.submit(_answer, text, mode, profile, capacity, precedents).result()
        except BrokenProcessPool:
            # A worker died (killed for memory, say): start new ones; the caller's retry uses them.
            with self._lock:
                if self._pools[lane] is pool:
                    self._pools[lane] = self._new_pool(pool._max_workers)
            raise

    def warm(self) -> None:
        """Start every worker now (loading the knowledge base), not on the first questions."""
        futures = [pool.submit(os.getpid) for pool in self._pools.values() for _ in range(pool._max_workers * 2)]
        for future in futures:
            future.result()

    def restart(self) -> None:
        """New workers for new questions (a reloaded knowledge base); the old finish what they hold."""
        with self._lock:
            old = self._pools
            self._pools = {lane: self._new_pool(pool._max_workers) for lane, pool in old.items()}
        for pool in old.values():
            pool.shutdown(wait=False)

    def shutdown(self) -> None:
        for pool in self._pools.values():
            pool.shutdown(wait=True, cancel_futures=True)
