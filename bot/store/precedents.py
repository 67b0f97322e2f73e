"""Precedents: resolved cases an advisor chose to share, with identifying details taken out.

The engine searches them beside the provisions (``engine.precedents.replace(store.precedents.list())``)
so a later, similar question shows "an ethics advisor answered a similar question on DATE:"
with the answer. A precedent outlives the retention purge of its case: it holds no
personal details, and it is the advisors' published judgement. Reopening the case withdraws it.
"""

from __future__ import annotations

import json
from typing import Any

from .db import Database


class Precedents:
    def __init__(self, database: Database):
        self.database = database

    def list(self, profile: str | None = None) -> list[dict[str, Any]]:
        """``{"ref", "date", "question", "answer", "profile"}`` for each precedent, oldest first, and
        ``"ruling"`` (``{"verdict", "capacity", "mode", "topics", "provisions"}``) where the advisor
        ruled on the case: the engine follows it for close texts (:mod:`canipost.engine.rulings`)."""
        sql = ("SELECT e.ref, p.answered_on AS date, p.question, p.answer, p.profile, r.verdict AS ruled, "
               "r.capacity, r.mode, r.topics, r.provisions "
               "FROM precedents p JOIN escalations e ON e.id = p.escalation_id "
               "LEFT JOIN rulings r ON r.escalation_id = p.escalation_id AND r.withdrawn_at IS NULL")
        params: list[Any] = []
        if profile:
            sql += " WHERE p.profile = ?"
            params.append(profile)
        found = []
        for row in self.database.query(sql + " ORDER BY p.escalation_id", params):
            precedent = {k: row[k] for k in ("ref", "date", "question", "answer", "profile")}
            if row["ruled"]:
                precedent["ruling"] = {"verdict": row["ruled"], "capacity": row["capacity"], "mode": row["mode"],
                                       "topics": json.loads(row["topics"]), "provisions": json.loads(row["provisions"])}
            found.append(precedent)
        return found

    def version(self) -> tuple:
        """Changes whenever a precedent is added or withdrawn, by this process or another
        (the command line), so a long-running app knows when to search afresh."""
        row = self.database.query("SELECT count(*) AS n, coalesce(sum(escalation_id), 0) AS ids, "
                                  "coalesce(max(created_at), '') AS latest FROM precedents")[0]
        return row["n"], row["ids"], row["latest"]
