"""How fast the escalations store writes and reads.

    python3 benchmarks/store.py [--cases N] [--rows N]

Prints escalations written per second by 1 writer and by 8 writer processes at once (each
case its own durable transaction: WAL, synchronous=FULL, with its provisions and audit
row), then, on a file of 100,000 cases, the time to list the open queue, count it, show
one case and compute the statistics. Target: the open queue in under 50 ms at 100,000 rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path


from canipost.store import Actor, Store

TOPICS = ["privacy", "political-neutrality", "criticism-of-government", "official-information", "respect",
          "authorisation", "endorsement", "conflict-of-interest"]
PROFILES = ["au-aps", "au-treasury", "nz-ps", "uk-cs", "ca-fps"]
VERDICTS = ["ok", "caution", "needs-approval", "do-not-post"]
ADVISOR = Actor("U900", "Benchmark Advisor", is_advisor=True)


def answer(rng: random.Random) -> dict:
    provisions = [{"id": f"{rng.choice(PROFILES)}.provision-{rng.randrange(200)}",
                   "topics": rng.sample(TOPICS, 2)} for _ in range(3)]
    return {"verdict": rng.choice(VERDICTS), "escalate": True, "summary": "A summary of one or two sentences.",
            "profile": rng.choice(PROFILES), "capacity": "personal", "mode": "check", "provisions": provisions,
            "findings": []}


def _write(args: tuple[str, int, int]) -> int:
    path, writer, count = args
    rng = random.Random(writer)
    with Store(path) as store:
        asker = Actor(f"U{writer}", f"Writer {writer}")
        for n in range(count):
            store.escalations.create(asker=asker, text=f"Can I post draft {n} about my work? " * 4,
                                     answer=answer(rng), source_key=f"bench:{writer}:{n}")
    return count


def writes_per_second(writers: int, cases: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "writes.db")
        Store(path).close()  # the schema, made before the clock starts
        each = cases // writers
        context = multiprocessing.get_context("spawn")
        with context.Pool(writers) as pool:
            pool.map(len, [[]] * writers)  # the processes, started and importing before the clock starts
            started = time.perf_counter()
            written = sum(pool.map(_write, [(path, w, each) for w in range(writers)]))
            elapsed = time.perf_counter() - started
        with Store(path) as store:
            assert store.db["escalations"].count == written
        return written / elapsed


def fill(store: Store, rows: int) -> None:
    """``rows`` cases straight into the tables, in one transaction (the benchmark's set-up, not its subject)."""
    rng = random.Random(42)
    start = dt.datetime(2023, 1, 1, tzinfo=dt.timezone.utc)
    escalations, provisions, audit = [], [], []
    for number in range(1, rows + 1):
        created = start + dt.timedelta(minutes=5 * number)
        roll = rng.random()
        status = "open" if roll < 0.2 else "claimed" if roll < 0.3 else "reopened" if roll < 0.32 else "resolved"
        resolved = created + dt.timedelta(hours=rng.uniform(0.5, 120)) if status == "resolved" else None
        topics = rng.sample(TOPICS, 3)
        stamp = created.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        escalations.append({
            "id": number, "ref": f"CP-{number:05d}", "status": status, "created_at": stamp, "updated_at": stamp,
            "asker_id": f"U{rng.randrange(5000)}", "asker_name": "Someone", "via": "slack", "mode": "check",
            "capacity": "personal", "profile": rng.choice(PROFILES), "text": "Can I post this draft about my work? " * 5,
            "personal_details": "none", "urgency": "normal", "verdict": rng.choice(VERDICTS), "escalate": 1,
            "summary": "A summary.", "topics": json.dumps(topics), "finding_kinds": "[]",
            "assignee_id": ADVISOR.id if status in ("claimed", "resolved") else None,
            "resolution": "An answer." if resolved else None,
            "resolved_at": resolved.strftime("%Y-%m-%dT%H:%M:%S.000Z") if resolved else None,
        })
        provisions += [{"escalation_id": number, "position": p, "provision_id": f"au-aps.provision-{rng.randrange(200)}",
                        "topics": json.dumps([t])} for p, t in enumerate(topics, 1)]
        audit.append({"at": stamp, "escalation_id": number, "ref": f"CP-{number:05d}", "actor_id": "U1",
                      "action": "created"})
    with store.database.write() as db:
        db["escalations"].insert_all(escalations, batch_size=2000)
        db["escalation_provisions"].insert_all(provisions, batch_size=2000)
        db["audit"].insert_all(audit, batch_size=2000)
    store.db.execute("ANALYZE")


def timed(step, repeat: int = 20) -> float:
    """Median milliseconds of ``step`` over ``repeat`` runs (after one warm-up)."""
    step()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        step()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000, help="cases written per measurement (default 2000)")
    parser.add_argument("--rows", type=int, default=100_000, help="cases in the file read from (default 100,000)")
    args = parser.parse_args()

    for writers in (1, 8):
        rate = writes_per_second(writers, args.cases)
        print(f"writes, {writers} writer{'s' if writers > 1 else ' '}:  {rate:8.0f} escalations/s "
              f"({args.cases} cases, each its own durable transaction)")

    with tempfile.TemporaryDirectory() as tmp:
        with Store(Path(tmp) / "read.db") as store:
            started = time.perf_counter()
            fill(store, args.rows)
            print(f"filled {args.rows:,} cases in {time.perf_counter() - started:.1f} s")
            escalations = store.escalations
            open_ms = timed(lambda: escalations.list(ADVISOR, status="open", limit=100))
            figures = [
                ("list open (100 oldest)", open_ms),
                ("list all (100 newest)", timed(lambda: escalations.list(ADVISOR, limit=100))),
                ("list one asker's cases", timed(lambda: escalations.list(Actor("U42", "Asker"), limit=100))),
                ("count open", timed(lambda: escalations.count(ADVISOR, status="open"))),
                ("show one case", timed(lambda: escalations.get("CP-04242", ADVISOR))),
                ("stats", timed(lambda: escalations.stats(), repeat=5)),
            ]
            for label, ms in figures:
                print(f"{label:<24} {ms:8.1f} ms  (median, {args.rows:,} cases)")
    verdict = "met" if open_ms < 50 else "MISSED"
    print(f"target: list open under 50 ms at {args.rows:,} cases: {verdict} ({open_ms:.1f} ms)")
    return 0 if open_ms < 50 else 1


if __name__ == "__main__":
    sys.exit(main())
