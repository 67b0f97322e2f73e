"""Nothing is lost: many writers at once, and a writer killed mid-run."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time

from canipost.store import Store

from .store_helpers import ADVISOR

WRITERS = 8
CASES_EACH = 500

ANSWER = {
    "verdict": "caution", "escalate": True, "summary": "Take care.", "profile": "au-aps", "capacity": "personal",
    "mode": "check", "findings": [],
    "provisions": [{"id": "au-aps.privacy", "topics": ["privacy"]}, {"id": "au-aps.respect", "topics": ["respect"]}],
}


def _writer(path: str, writer: int, count: int, start, results) -> None:
    """One process creating ``count`` cases as fast as it can; reports what went wrong, if anything."""
    from canipost.store import Actor, Store

    errors = []
    try:
        store = Store(path)
        start.wait()
        asker = Actor(f"U{writer}", f"Writer {writer}")
        for n in range(count):
            try:
                store.escalations.create(asker=asker, text=f"Case {n} of writer {writer}", answer=ANSWER,
                                         source_key=f"writer:{writer}:{n}")
            except Exception as exc:  # every failure counts, whatever its kind
                errors.append(f"{type(exc).__name__}: {exc}")
        store.close()
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
    results.put((writer, errors))


def test_concurrent_writers_lose_nothing(tmp_path):
    path = str(tmp_path / "busy.db")
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    processes = [context.Process(target=_writer, args=(path, w, CASES_EACH, start, results)) for w in range(WRITERS)]
    for process in processes:
        process.start()
    start.set()
    reports = dict(results.get(timeout=120) for _ in processes)
    for process in processes:
        process.join(timeout=30)
    assert reports == {w: [] for w in range(WRITERS)}, "no writer saw an error ('database is locked' or other)"
    with Store(path) as store:
        assert store.db["escalations"].count == WRITERS * CASES_EACH
        assert store.db.execute("SELECT COUNT(*) FROM audit WHERE action = 'created'").fetchone()[0] == WRITERS * CASES_EACH
        assert store.db.execute("SELECT COUNT(DISTINCT ref) FROM escalations").fetchone()[0] == WRITERS * CASES_EACH
        for writer in range(WRITERS):
            assert store.escalations.count(ADVISOR, asker=f"U{writer}") == CASES_EACH
        assert store.database.integrity_check() == "ok"


CRASHING_WRITER = textwrap.dedent("""
    import sys
    from canipost.store import Actor, Store

    store = Store(sys.argv[1])
    answer = {"verdict": "ok", "escalate": False, "summary": "", "profile": "au-aps", "findings": [],
              "provisions": [{"id": "au-aps.engagement", "topics": ["engagement"]}]}
    for n in range(1_000_000):
        case = store.escalations.create(asker=Actor("U1", "Crash"), text=f"Case {n}", answer=answer)
        store.escalations.comment(case.ref, Actor("U9", "Advisor", True), f"Note {n}")
        # Printed only once create() returned: this is what the asker was told.
        print(case.ref, flush=True)
""")


def test_a_killed_writer_leaves_every_confirmed_case(tmp_path):
    path = tmp_path / "crash.db"
    writer = subprocess.Popen([sys.executable, "-c", CRASHING_WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    confirmed = []
    deadline = time.monotonic() + 60
    while len(confirmed) < 150 and time.monotonic() < deadline:
        line = writer.stdout.readline()
        if not line:
            break
        confirmed.append(line.strip())
    os.kill(writer.pid, signal.SIGKILL)  # mid-run: it was writing the next case
    remaining, _ = writer.communicate(timeout=30)
    confirmed += remaining.split()
    assert writer.returncode == -signal.SIGKILL
    assert len(confirmed) >= 150

    with Store(path) as store:
        assert store.database.integrity_check() == "ok"
        stored = {row["ref"] for row in store.db.query("SELECT ref FROM escalations")}
        assert set(confirmed) <= stored
        # At most the case being written when the kill came is beyond what was confirmed.
        assert len(stored) - len(confirmed) <= 1
        # And the file is usable as ever.
        assert store.escalations.resolve(confirmed[-1], ADVISOR, "Fine.").status == "resolved"
