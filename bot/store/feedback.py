"""Answer feedback: was it helpful, and what did nothing in the knowledge base match?

The report groups what went wrong so the knowledge base's gaps show: questions marked not
helpful by the provision the answer cited first (the provision that most needs a look),
and, within each group and among the questions nothing matched, near-duplicates together
(rapidfuzz's token set ratio, so word order and extra words do not split a group).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from rapidfuzz import fuzz, process

from .db import Database, timestamp
from .masking import CONTACT_KINDS, mask

SIMILAR = 80  # token set ratio at or above which two questions count as the same question
EXAMPLES = 3


@dataclass
class QuestionGroup:
    """Near-identical questions: the first one seen stands for the group."""

    question: str
    count: int = 0
    examples: list[str] = field(default_factory=list)
    verdicts: dict[str, int] = field(default_factory=dict)
    profiles: dict[str, int] = field(default_factory=dict)

    def add(self, question: str, verdict: str | None, profile: str | None) -> None:
        self.count += 1
        if question not in self.examples and len(self.examples) < EXAMPLES:
            self.examples.append(question)
        if verdict:
            self.verdicts[verdict] = self.verdicts.get(verdict, 0) + 1
        if profile:
            self.profiles[profile] = self.profiles.get(profile, 0) + 1

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "count": self.count, "examples": self.examples,
                "verdicts": self.verdicts, "profiles": self.profiles}


def _normal(question: str) -> str:
    return re.sub(r"\s+", " ", question).strip().casefold()


def group_questions(rows: Iterable[Mapping[str, Any]]) -> list[QuestionGroup]:
    """Near-duplicate questions together, biggest group first."""
    groups: list[QuestionGroup] = []
    keys: list[str] = []
    for row in rows:
        question = row["question"] or ""
        key = _normal(question)
        best = process.extractOne(key, keys, scorer=fuzz.token_set_ratio, score_cutoff=SIMILAR) if keys else None
        if best is None:
            groups.append(QuestionGroup(question))
            keys.append(key)
            group = groups[-1]
        else:
            group = groups[best[2]]
        group.add(question, row.get("verdict"), row.get("profile"))
    return sorted(groups, key=lambda g: (-g.count, g.question))


class Feedback:
    def __init__(self, database: Database):
        self.database = database

    def record(self, helpful: bool, question: str, verdict: str | None, provision_ids: Sequence[str],
               profile: str | None, user: str | None, answer_id: str | None = None,
               findings: Iterable[Mapping] | None = None) -> int:
        """One Helpful / Not helpful click. The same person clicking again on the same answer
        changes their vote rather than adding one."""
        kind = "helpful" if helpful else "not-helpful"
        row = self._row(kind, question, verdict, provision_ids, profile, user, answer_id, findings)
        with self.database.write() as db:
            if row["answer_id"] is not None and not db.execute(
                    "SELECT 1 FROM answers WHERE id = ?", [row["answer_id"]]).fetchone():
                row["answer_id"] = None  # expired from the answer log; the vote still counts
            if row["answer_id"] is not None and user is not None:
                existing = db.execute("SELECT id FROM feedback WHERE answer_id = ? AND user_id = ? AND kind != 'unmatched'",
                                      [row["answer_id"], user]).fetchone()
                if existing:
                    db["feedback"].update(existing[0], {"kind": kind, "created_at": row["created_at"]})
                    return existing[0]
            return db["feedback"].insert(row).last_pk

    def record_unmatched(self, question: str, profile: str | None, user: str | None, answer_id: str | None = None,
                         findings: Iterable[Mapping] | None = None) -> int:
        """A question nothing in the knowledge base matched."""
        row = self._row("unmatched", question, None, (), profile, user, None, findings)
        row["answer_id"] = answer_id
        with self.database.write() as db:
            if answer_id is not None and not db.execute("SELECT 1 FROM answers WHERE id = ?", [answer_id]).fetchone():
                row["answer_id"] = None
            return db["feedback"].insert(row).last_pk

    def _row(self, kind, question, verdict, provision_ids, profile, user, answer_id, findings) -> dict[str, Any]:
        ids = [p for p in provision_ids or () if p]
        return {
            "created_at": self.database.now(), "kind": kind, "answer_id": answer_id, "user_id": user,
            "profile": profile, "question": self.database.scrub(mask(question, findings, CONTACT_KINDS)),
            "verdict": verdict, "provision_ids": json.dumps(ids), "first_provision": ids[0] if ids else None,
        }

    def report(self, profile: str | None = None, since: dt.datetime | None = None) -> dict[str, Any]:
        """Not-helpful questions by first cited provision, and unmatched questions, grouped."""
        clauses, params = [], []
        if profile:
            clauses.append("profile = ?")
            params.append(profile)
        if since:
            clauses.append("created_at >= ?")
            params.append(timestamp(since))
        where = "".join(f" AND {c}" for c in clauses)
        totals = {"helpful": 0, "not-helpful": 0, "unmatched": 0}
        for row in self.database.query(f"SELECT kind, COUNT(*) AS n FROM feedback WHERE 1 = 1{where} GROUP BY kind", params):
            totals[row["kind"]] = row["n"]
        not_helpful: dict[str | None, list[dict]] = {}
        for row in self.database.query(f"SELECT * FROM feedback WHERE kind = 'not-helpful'{where} ORDER BY id", params):
            not_helpful.setdefault(row["first_provision"], []).append(row)
        helpful_by_provision = {
            row["first_provision"]: row["n"] for row in self.database.query(
                f"SELECT first_provision, COUNT(*) AS n FROM feedback WHERE kind = 'helpful'{where} GROUP BY first_provision",
                params)
        }
        by_provision = [
            {"provision": provision, "not_helpful": len(rows), "helpful": helpful_by_provision.get(provision, 0),
             "questions": [g.to_dict() for g in group_questions(rows)]}
            for provision, rows in not_helpful.items()
        ]
        by_provision.sort(key=lambda g: (-g["not_helpful"], g["provision"] or ""))
        unmatched = self.database.query(f"SELECT * FROM feedback WHERE kind = 'unmatched'{where} ORDER BY id", params)
        return {"totals": totals, "not_helpful": by_provision,
                "unmatched": [g.to_dict() for g in group_questions(unmatched)]}
