"""The things the store hands back: who is acting, a case, a comment, an audit entry."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

SYSTEM_ID = "system"


@dataclass(frozen=True)
class Actor:
    """Whoever is asking the store to do something.

    ``id`` is a Slack user id (``U123``) or ``cli:<login>``; ``is_advisor`` is decided by
    the front end (``CANIPOST_ADVISORS``), never by the store.
    """

    id: str
    name: str = ""
    is_advisor: bool = False

    @property
    def label(self) -> str:
        return self.name or self.id


SYSTEM = Actor(SYSTEM_ID, "canipost", is_advisor=True)


@dataclass(frozen=True)
class Comment:
    at: str
    author_id: str
    author_name: str | None
    text: str | None


@dataclass(frozen=True)
class AuditEntry:
    at: str
    ref: str | None
    actor_id: str
    actor_name: str | None
    action: str
    detail: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Escalation:
    """One case, as stored. ``text`` is None once the retention policy removed it."""

    ref: str
    status: str
    created_at: str
    updated_at: str
    asker_id: str
    asker_name: str | None
    via: str
    workspace: str | None
    channel: str | None
    mode: str | None
    capacity: str | None
    profile: str
    text: str | None
    personal_details: str
    context: str | None
    urgency: str
    verdict: str | None
    escalate: bool | None
    summary: str | None
    topics: list[str]
    finding_kinds: list[str]
    assignee_id: str | None
    assignee_name: str | None
    claimed_at: str | None
    resolution: str | None
    resolved_at: str | None
    purged_at: str | None
    precedent: bool = False
    notice_channel: str | None = None
    notice_ts: str | None = None
    provisions: list[dict[str, Any]] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    #: The advisor's ruling (see :mod:`.rulings`), for advisors; None before one was made, or for old cases.
    ruling: dict[str, Any] | None = None
    #: False when :meth:`Escalations.create` found the case already made by the same interaction.
    created: bool = True

    @property
    def provision_ids(self) -> list[str]:
        return [p["id"] for p in self.provisions]

    @property
    def is_open(self) -> bool:
        return self.status in ("open", "reopened")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("created")
        return data

    @classmethod
    def from_row(cls, row: dict[str, Any], **extra: Any) -> "Escalation":
        return cls(
            ref=row["ref"], status=row["status"], created_at=row["created_at"], updated_at=row["updated_at"],
            asker_id=row["asker_id"], asker_name=row["asker_name"], via=row["via"], workspace=row["workspace"],
            channel=row["channel"], mode=row["mode"], capacity=row["capacity"], profile=row["profile"],
            text=row["text"], personal_details=row["personal_details"], context=row["context"],
            urgency=row["urgency"], verdict=row["verdict"],
            escalate=None if row["escalate"] is None else bool(row["escalate"]), summary=row["summary"],
            topics=json.loads(row["topics"] or "[]"), finding_kinds=json.loads(row["finding_kinds"] or "[]"),
            assignee_id=row["assignee_id"], assignee_name=row["assignee_name"], claimed_at=row["claimed_at"],
            resolution=row["resolution"], resolved_at=row["resolved_at"], purged_at=row["purged_at"],
            precedent=bool(row.get("precedent")),
            notice_channel=row.get("notice_channel"), notice_ts=row.get("notice_ts"),
            **extra,
        )
