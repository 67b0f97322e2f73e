"""The audit trail: who did what to which case, and when. Append-only (triggers enforce it).

Actions: ``created``, ``claimed``, ``commented``, ``resolved``, ``reopened``, ``purged``,
``precedent-withdrawn``, ``ruled`` (the advisor's ruling), ``ruling-withdrawn`` (the case was
reopened), ``consent-given`` and ``consent-withdrawn`` (to learn from the ruling), ``retrained`` and
``retrain-refused`` (``canipost kb train``: no case), and ``refused`` for an attempt the store turned
down (``detail`` says what was tried and why it was refused). Rows are written in the same transaction as
the change they describe, so the trail never claims a step that did not happen, nor misses
one that did.
"""

from __future__ import annotations

import sqlite_utils

from .model import Actor, AuditEntry

ACTIONS = ("created", "claimed", "commented", "resolved", "reopened", "purged", "precedent-withdrawn", "ruled",
           "ruling-withdrawn", "consent-given", "consent-withdrawn", "retrained", "retrain-refused", "refused")


def record(db: sqlite_utils.Database, at: str, actor: Actor, action: str, *, escalation_id: int | None = None,
           ref: str | None = None, detail: str | None = None) -> None:
    """Append one row. Call inside the transaction that makes the change."""
    assert action in ACTIONS, action
    db.execute(
        "INSERT INTO audit (at, escalation_id, ref, actor_id, actor_name, action, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [at, escalation_id, ref, actor.id, actor.name or None, action, detail],
    )


def entries(db: sqlite_utils.Database, escalation_id: int) -> list[AuditEntry]:
    return [
        AuditEntry(row["at"], row["ref"], row["actor_id"], row["actor_name"], row["action"], row["detail"])
        for row in db.query("SELECT * FROM audit WHERE escalation_id = ? ORDER BY id", [escalation_id])
    ]
