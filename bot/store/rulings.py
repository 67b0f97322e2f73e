"""Rulings: what an ethics advisor decided about a case's text, beside the answer sent to the asker.

A ruling is the verdict for that text and capacity, the topics it engages and, optionally, the
provisions that decide it. Kept beside canipost's own verdict of the time, it measures how often
canipost agrees with the advisors (:func:`.reports.agreement`). With the advisor's consent
(``learn``) its de-identified text becomes a labelled example of the agency's own
(:meth:`Rulings.for_training`, written out by :mod:`canipost.kb.rulings`), and a ruling on a
precedent keeps later answers to close texts consistent with it (:mod:`canipost.engine.rulings`).

One ruling stands for a case at a time: reopening the case withdraws it (the row stays, dated),
and resolving it again records a new one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..contract import CAPACITIES, TOPICS, VERDICTS, severity
from ..errors import InputError
from .db import Database

MAX_TOPICS = 3  # as a labelled example: main topic first, at most three
AGREEMENTS = ("agreed", "under-called", "over-called")


@dataclass(frozen=True)
class Ruling:
    """An advisor's ruling, as a front end hands it to :meth:`Escalations.resolve`.

    ``learn`` is the advisor's consent to use the ruling to improve answers; None means the
    default: yes when the case is shared as a precedent, no otherwise.
    """

    verdict: str
    capacity: str
    topics: tuple[str, ...] = ()
    provisions: tuple[str, ...] = ()
    learn: bool | None = None

    def checked(self) -> "Ruling":
        """The ruling, if it is one a labelled example could carry; else :class:`InputError` saying why."""
        if self.verdict not in VERDICTS:
            raise InputError(f"unknown verdict {self.verdict!r} (known: {', '.join(VERDICTS)})")
        if self.capacity not in CAPACITIES:
            raise InputError(f"unknown capacity {self.capacity!r} (known: {', '.join(CAPACITIES)})")
        unknown = [t for t in self.topics if t not in TOPICS]
        if unknown:
            raise InputError(f"unknown topic {unknown[0]!r} (known: {', '.join(TOPICS)})")
        topics = tuple(dict.fromkeys(self.topics))
        if len(topics) > MAX_TOPICS:
            raise InputError(f"a ruling names at most {MAX_TOPICS} topics, the main one first")
        if self.verdict != "ok" and not topics:
            raise InputError(f"a ruling of {self.verdict} names the topics it engages")
        return Ruling(self.verdict, self.capacity, topics, tuple(dict.fromkeys(self.provisions)), self.learn)


def agreement(canipost: str | None, ruled: str) -> str | None:
    """How canipost's verdict stood against the ruling: ``agreed``, ``under-called`` (canipost was
    less strict: the dangerous direction) or ``over-called``; None when canipost gave none."""
    if canipost not in VERDICTS:
        return None
    difference = severity(ruled) - severity(canipost)
    return "agreed" if difference == 0 else "under-called" if difference > 0 else "over-called"


def describe(verdict: str, capacity: str, canipost: str | None, topics, provisions) -> str:
    """A ruling in one line, as the audit trail records it."""
    said = agreement(canipost, verdict)
    line = f"{verdict} for {capacity} " + (f"(canipost said {canipost}: {said})" if said else "(canipost gave no verdict)")
    if topics:
        line += f"; topics {', '.join(topics)}"
    if provisions:
        line += f"; provisions {', '.join(provisions)}"
    return line


def from_row(row: dict[str, Any]) -> dict[str, Any]:
    """A ruling row as the store hands it out (lists as lists, consent as a bool)."""
    return {
        "verdict": row["verdict"], "capacity": row["capacity"], "mode": row["mode"], "profile": row["profile"],
        "topics": json.loads(row["topics"] or "[]"), "provisions": json.loads(row["provisions"] or "[]"),
        "canipost_verdict": row["canipost_verdict"], "agreement": row["agreement"], "learn": bool(row["learn"]),
        "example_text": row["example_text"], "ruled_by_id": row["ruled_by_id"], "ruled_by_name": row["ruled_by_name"],
        "ruled_at": row["created_at"],
    }


CURRENT = ("SELECT e.ref, r.* FROM rulings r JOIN escalations e ON e.id = r.escalation_id "
           "WHERE r.withdrawn_at IS NULL")


class Rulings:
    def __init__(self, database: Database):
        self.database = database

    def list(self, profile: str | None = None) -> list[dict[str, Any]]:
        """Every ruling that stands (not withdrawn), oldest first, with its case's ``ref``."""
        sql, params = CURRENT, []
        if profile:
            sql += " AND r.profile = ?"
            params.append(profile)
        return [{"ref": row["ref"], **from_row(row)} for row in self.database.query(sql + " ORDER BY r.id", params)]

    def for_training(self) -> list[dict[str, Any]]:
        """The rulings an advisor agreed to learn from, with a text to learn: the agency's examples.
        A withdrawn ruling (its case reopened) or a withdrawn consent is not among them."""
        return [r for r in self.list() if r["learn"] and r["example_text"]]
