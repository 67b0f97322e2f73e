"""Handled events: Slack delivers an event again when it is not acknowledged in time, so each
delivery asks here first whether another one already has it.

``begin(key)`` claims the key and says whether this delivery should do the work.
``finish(key)`` marks it done; ``release(key)`` gives it back after a failure so the next
retry does it. A key left in progress for longer than :data:`STALE_AFTER` (the process
handling it died) counts as abandoned: the next delivery takes it over.
"""

from __future__ import annotations

import datetime as dt

from .db import Database, timestamp

STALE_AFTER = dt.timedelta(seconds=60)


class HandledEvents:
    def __init__(self, database: Database):
        self.database = database

    def begin(self, key: str, now: dt.datetime | None = None, holder: str | None = None) -> bool:
        """True if this delivery handles ``key`` (it is now marked in progress). A ``holder`` (a
        piece of work in the outbox) that claimed the key before, and was cut off by a crash
        before it could finish, gets its own claim back."""
        moment = now or self.database.clock()
        stamp = timestamp(moment)
        with self.database.write() as db:
            row = db.execute("SELECT status, started_at, holder FROM handled_events WHERE key = ?", [key]).fetchone()
            if row is None:
                db.execute("INSERT INTO handled_events (key, status, started_at, holder) VALUES (?, 'in-progress', ?, ?)",
                           [key, stamp, holder])
                return True
            status, started_at, held_by = row
            if status == "in-progress" and holder is not None and held_by == holder:
                return True
            if status == "in-progress" and started_at < timestamp(moment - STALE_AFTER):
                db.execute("UPDATE handled_events SET started_at = ?, holder = ? WHERE key = ?", [stamp, holder, key])
                return True
            return False

    def finish(self, key: str, now: dt.datetime | None = None) -> None:
        stamp = timestamp(now or self.database.clock())
        with self.database.write() as db:
            db.execute("INSERT INTO handled_events (key, status, started_at, finished_at) VALUES (?, 'done', ?, ?) "
                       "ON CONFLICT (key) DO UPDATE SET status = 'done', finished_at = excluded.finished_at",
                       [key, stamp, stamp])

    def release(self, key: str) -> None:
        with self.database.write() as db:
            db.execute("DELETE FROM handled_events WHERE key = ? AND status = 'in-progress'", [key])

    def purge(self, older_than: dt.timedelta = dt.timedelta(days=2), now: dt.datetime | None = None) -> int:
        """Forget keys older than any retry Slack would still send; returns how many went."""
        cutoff = timestamp((now or self.database.clock()) - older_than)
        with self.database.write() as db:
            return db.execute("DELETE FROM handled_events WHERE started_at < ?", [cutoff]).rowcount
