"""The outbox: work canipost acknowledged, kept until it is delivered.

A Slack request is written here (:meth:`Outbox.accept`) before it is acknowledged, and stays
``pending`` until a worker has done it (``done``), it could not be done before it expired
(``expired``: the person is told), or it failed for good (``failed``: Slack refused, and
retrying would not help). A process that dies with work in hand leaves it pending; the next
one to start takes it over and does it, with retries and backoff.

Two things make a retry safe however often it happens:

* the request's key (Slack's event id, or the interaction's trigger id) is the row's primary
  key, so Slack resending a request finds it already here and adds nothing;
* each effect of the work (an answer recorded, a message posted) is a *step* recorded here
  with its result: done steps are not done again, and a step found started but not finished
  (the process died in the middle of it) is checked before it is tried again.

Only :meth:`Outbox.accept` waits for the disk (it stands for an acknowledgement given); the
bookkeeping after it is committed without waiting (it survives the process dying, and after a
power cut a step is at worst done again).

Rows are *leased*: the process working on one holds it for :data:`LEASE` and renews the lease
while it works, so several processes sharing the file never do the same work twice; a lease
that runs out (its process died) lets another take the row over.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Iterable

from .db import Database, parse_timestamp, timestamp

LEASE = dt.timedelta(seconds=20)
# Kept this long after they are finished, for a look at what happened; then purged.
KEEP_FINISHED = dt.timedelta(days=2)


@dataclass(frozen=True)
class Job:
    key: str
    handler: str
    payload: dict[str, Any]
    attempts: int
    created_at: dt.datetime
    expires_at: dt.datetime


class Outbox:
    def __init__(self, database: Database):
        self.database = database

    def _now(self) -> dt.datetime:
        return self.database.clock()

    def accept(self, key: str, handler: str, payload: dict[str, Any], *, owner: str,
               expires_in: dt.timedelta) -> bool:
        """Keep the work for ``key``, leased to ``owner``; False if it is already here (a retry)."""
        now = self._now()
        with self.database.write() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO outbox (key, handler, payload, status, attempts, created_at, next_at, "
                "expires_at, owner, lease_until) VALUES (?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?)",
                [key, handler, self.database.scrub(json.dumps(payload)), timestamp(now),
                 timestamp(now), timestamp(now + expires_in), owner, timestamp(now + LEASE)])
            return cursor.rowcount == 1

    def take(self, owner: str, limit: int, dead_owners: Iterable[str] = ()) -> list[Job]:
        """Up to ``limit`` pending jobs that are due and not leased by a live process, now leased to ``owner``."""
        if limit <= 0:
            return []
        now = timestamp(self._now())
        dead = list(dead_owners)
        marks = ",".join("?" * len(dead))
        free = f"(lease_until IS NULL OR lease_until < ?{f' OR owner IN ({marks})' if dead else ''})"
        with self.database.write(durable=False) as db:
            rows = db.execute(
                f"SELECT key, handler, payload, attempts, created_at, expires_at FROM outbox "
                f"WHERE status = 'pending' AND next_at <= ? AND {free} ORDER BY next_at LIMIT ?",
                [now, now, *dead, limit]).fetchall()
            lease = timestamp(self._now() + LEASE)
            for row in rows:
                db.execute("UPDATE outbox SET owner = ?, lease_until = ? WHERE key = ?", [owner, lease, row[0]])
        return [Job(key, handler, json.loads(payload), attempts, parse_timestamp(created), parse_timestamp(expires))
                for key, handler, payload, attempts, created, expires in rows]

    def owners(self) -> list[str]:
        """The processes holding pending work (to tell which of them are gone)."""
        return [r["owner"] for r in self.database.query(
            "SELECT DISTINCT owner FROM outbox WHERE status = 'pending' AND owner IS NOT NULL")]

    def renew(self, owner: str, keys: Iterable[str]) -> None:
        keys = list(keys)
        if not keys:
            return
        lease = timestamp(self._now() + LEASE)
        with self.database.write(durable=False) as db:
            db.execute(f"UPDATE outbox SET lease_until = ? WHERE owner = ? AND key IN ({','.join('?' * len(keys))})",
                       [lease, owner, *keys])

    def finish(self, key: str, status: str = "done", error: str | None = None) -> None:
        """``done``, ``failed`` (for good) or ``expired``."""
        with self.database.write(durable=False) as db:
            db.execute("UPDATE outbox SET status = ?, finished_at = ?, last_error = COALESCE(?, last_error), "
                       "owner = NULL, lease_until = NULL WHERE key = ?", [status, timestamp(self._now()), error, key])

    def retry_later(self, key: str, delay: dt.timedelta, error: str) -> None:
        """Try again after ``delay`` (the lease is given up, so any live process may)."""
        with self.database.write(durable=False) as db:
            db.execute("UPDATE outbox SET attempts = attempts + 1, next_at = ?, last_error = ?, owner = NULL, "
                       "lease_until = NULL WHERE key = ?", [timestamp(self._now() + delay), error, key])

    def release(self, keys: Iterable[str]) -> None:
        """Give back the leases of work not started (on shutdown): the next process does it at once."""
        keys = list(keys)
        if keys:
            with self.database.write(durable=False) as db:
                db.execute(f"UPDATE outbox SET owner = NULL, lease_until = NULL WHERE status = 'pending' AND "
                           f"key IN ({','.join('?' * len(keys))})", keys)

    def counts(self) -> dict[str, int]:
        return {r["status"]: r["n"] for r in self.database.query("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")}

    # -- steps ---------------------------------------------------------------------------------

    def step(self, key: str, step: str) -> tuple[str, Any] | None:
        """(state, result) of one step of ``key``'s work, or None if it was never begun."""
        rows = self.database.query("SELECT state, result FROM outbox_steps WHERE key = ? AND step = ?", [key, step])
        if not rows:
            return None
        return rows[0]["state"], json.loads(rows[0]["result"]) if rows[0]["result"] is not None else None

    def begin_step(self, key: str, step: str) -> None:
        with self.database.write(durable=False) as db:
            db.execute("INSERT INTO outbox_steps (key, step, state, at) VALUES (?, ?, 'started', ?) "
                       "ON CONFLICT (key, step) DO UPDATE SET state = 'started', at = excluded.at",
                       [key, step, timestamp(self._now())])

    def end_step(self, key: str, step: str, result: Any = None) -> None:
        with self.database.write(durable=False) as db:
            db.execute("INSERT INTO outbox_steps (key, step, state, result, at) VALUES (?, ?, 'done', ?, ?) "
                       "ON CONFLICT (key, step) DO UPDATE SET state = 'done', result = excluded.result, at = excluded.at",
                       [key, step, json.dumps(result), timestamp(self._now())])

    def purge(self, older_than: dt.timedelta = KEEP_FINISHED, now: dt.datetime | None = None) -> int:
        """Forget finished work older than ``older_than`` (its payload holds people's texts)."""
        cutoff = timestamp((now or self._now()) - older_than)
        with self.database.write() as db:
            keys = [r[0] for r in db.execute("SELECT key FROM outbox WHERE status != 'pending' AND finished_at < ?",
                                             [cutoff]).fetchall()]
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                marks = ",".join("?" * len(chunk))
                db.execute(f"DELETE FROM outbox_steps WHERE key IN ({marks})", chunk)
                db.execute(f"DELETE FROM outbox WHERE key IN ({marks})", chunk)
            return len(keys)
