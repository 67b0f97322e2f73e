"""The escalations store: cases for the ethics advisors, their audit trail, answer feedback.

One SQLite file (``CANIPOST_DB``), readable as it is with sqlite3, sqlite-utils or
Datasette::

    store = Store.open(Settings.from_env())
    case = store.escalations.create(asker=Actor("U123", "Sam"), text=draft, answer=answer.to_dict(),
                                    source_key="slack:view:V123")
    store.escalations.claim(case.ref, Actor("U999", "Alex", is_advisor=True))

Parts: :class:`Escalations` (cases and their workflow), :class:`AnswerLog` (answers behind
Slack buttons), :class:`Access` (who may act on the answer a request names), :class:`Feedback`,
:class:`HandledEvents` (Slack retries), :class:`Precedents`, :class:`Rulings` (the advisors'
verdicts, see :mod:`.rulings`) and :class:`Outbox` (Slack work until delivered). All share one connection; every method is safe to call from several
threads, and several processes may use the same file at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from .access import Access
from .answers import AnswerLog, LoggedAnswer
from .db import Clock, Database, utcnow
from .errors import InvalidTransition, NotAllowed, NotFound, SchemaTooNew, StoreBusy, StoreError
from .escalations import REF_PREFIX, STATUS_FILTERS, URGENCIES, Escalations, format_ref, parse_ref
from .events import HandledEvents
from .feedback import Feedback
from .outbox import Job, Outbox
from .model import SYSTEM, Actor, AuditEntry, Comment, Escalation
from .precedents import Precedents
from .rulings import Ruling, Rulings
from .schema import LATEST, STATUSES, migrate

__all__ = [
    "Access", "Actor", "AnswerLog", "AuditEntry", "Comment", "Escalation", "Escalations", "Feedback", "HandledEvents",
    "InvalidTransition", "Job", "LoggedAnswer", "NotAllowed", "NotFound", "Outbox", "Precedents", "REF_PREFIX",
    "Ruling", "Rulings", "SCHEMA_VERSION",
    "STATUSES", "STATUS_FILTERS", "SYSTEM", "SchemaTooNew", "Store", "StoreBusy", "StoreError", "URGENCIES",
    "format_ref", "parse_ref",
]

SCHEMA_VERSION = LATEST


class Store:
    """The escalations database, migrated to the current schema when opened."""

    def __init__(self, path: Path | str, *, secrets: Sequence[str] = (), clock: Clock = utcnow):
        self.database = Database(path, secrets=secrets, clock=clock)
        try:
            migrate(self.database)
        except BaseException:
            self.database.close()
            raise
        self.path = self.database.path
        self.escalations = Escalations(self.database)
        self.answers = AnswerLog(self.database)
        self.feedback = Feedback(self.database)
        self.events = HandledEvents(self.database)
        self.precedents = Precedents(self.database)
        self.rulings = Rulings(self.database)
        self.access = Access(self.database, self.answers)
        self.outbox = Outbox(self.database)

    @classmethod
    def open(cls, settings) -> "Store":
        """The store at ``settings.db_path``, never writing ``settings``' secrets to it."""
        return cls(settings.db_path, secrets=settings.secrets())

    def escalate(self, answer_id: str, asker: Actor, *, context: str | None = None, urgency: str = "normal",
                 source_key: str | None = None, keep_personal_details: bool = False) -> Escalation:
        """Open a case from an answer in the answer log (what the Escalate button does): only
        the person the answer was given to may."""
        logged = self.access.answer(answer_id, asker, "escalate", asker_only=True)
        return self.escalations.create(
            asker=asker, text=logged.text, answer=logged.answer, mode=logged.mode, profile=logged.profile,
            capacity=logged.capacity, workspace=logged.workspace, channel=logged.channel, context=context,
            urgency=urgency, via="slack", source_key=source_key, keep_personal_details=keep_personal_details,
        )

    @property
    def db(self):
        """The underlying :class:`sqlite_utils.Database`, for reading (tests, analysts' scripts)."""
        return self.database.db

    def close(self) -> None:
        self.database.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
