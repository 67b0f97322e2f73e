"""The answer log: answers given in Slack, kept a few days so their buttons still work.

A Slack button carries at most a short string, and the answer it belongs to may be long
or hold the asker's draft; so the Escalate and Helpful buttons carry only the id this log
hands out, and the handler looks the rest up here. Entries older than
``CANIPOST_ANSWER_TTL_DAYS`` are deleted by :meth:`AnswerLog.purge_expired`.

The text is kept as written (not masked): whether the asker keeps third parties' details
is their choice when they escalate, and that needs the original. This is why the log is
short-lived.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sqlite3
from dataclasses import dataclass
from typing import Any

from .db import Database, timestamp
from .errors import NotFound


@dataclass(frozen=True)
class LoggedAnswer:
    id: str
    created_at: str
    user_id: str | None
    workspace: str | None
    channel: str | None
    mode: str | None
    profile: str | None
    capacity: str | None
    text: str
    answer: dict[str, Any]


class AnswerLog:
    def __init__(self, database: Database):
        self.database = database

    def record(self, answer: dict[str, Any], text: str, user: str | None = None, workspace: str | None = None,
               channel: str | None = None, mode: str | None = None, profile: str | None = None,
               capacity: str | None = None) -> str:
        """Keep one answer; returns its id (a dozen URL-safe characters) for the buttons."""
        scrub = self.database.scrub
        row = {
            "created_at": self.database.now(), "user_id": user, "workspace": workspace, "channel": channel,
            "mode": mode or answer.get("mode"), "profile": profile or answer.get("profile"),
            "capacity": capacity or answer.get("capacity"), "text": scrub(text),
            "answer": scrub(json.dumps(answer, ensure_ascii=False)),
        }
        for _ in range(5):
            row["id"] = secrets.token_urlsafe(9)
            try:
                # Not waiting for the disk: after a power cut the answer's buttons ask to ask again.
                with self.database.write(durable=False) as db:
                    db["answers"].insert(row)
                return row["id"]
            except sqlite3.IntegrityError:
                continue  # 72 random bits collided; draw again
        raise RuntimeError("could not draw an unused answer id")

    def get(self, answer_id: str) -> LoggedAnswer:
        rows = self.database.query("SELECT * FROM answers WHERE id = ?", [answer_id])
        if not rows:
            raise NotFound("This answer is no longer available (answers are kept for a few days). "
                           "Please ask again.")
        row = rows[0]
        return LoggedAnswer(row["id"], row["created_at"], row["user_id"], row["workspace"], row["channel"],
                            row["mode"], row["profile"], row["capacity"], row["text"], json.loads(row["answer"]))

    def exists(self, answer_id: str | None) -> bool:
        return bool(answer_id) and bool(self.database.query("SELECT 1 FROM answers WHERE id = ?", [answer_id]))

    def purge_expired(self, ttl_days: int, now: dt.datetime | None = None) -> int:
        """Delete answers older than ``ttl_days``; returns how many went."""
        cutoff = timestamp((now or self.database.clock()) - dt.timedelta(days=ttl_days))
        with self.database.write() as db:
            return db.execute("DELETE FROM answers WHERE created_at < ?", [cutoff]).rowcount
