"""The schema, as a list of migrations applied in order when the store opens.

``PRAGMA user_version`` holds the number of migrations applied; ``schema_migrations``
records when each ran, for people reading the file. Migrations only ever add: new tables,
new columns, new indexes. A row written by any earlier version stays readable.

sqlite-utils has its own migrations helper, but it decides what is pending before taking
the write lock, so two processes starting together (the Slack app and a cron'd purge)
could both apply the same step. Here the check and the steps run in one ``BEGIN
IMMEDIATE`` transaction: the second process waits, then finds nothing left to do.

Plain SQL rather than ``table.create()`` because the constraints matter as much as the
columns (status values, foreign keys, append-only triggers), and reads best as SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sqlite_utils

from .db import Database
from .errors import SchemaTooNew

STATUSES = ("open", "claimed", "resolved", "reopened")


@dataclass(frozen=True)
class Migration:
    name: str
    apply: Callable[[sqlite_utils.Database], None]


def _script(*statements: str) -> Callable[[sqlite_utils.Database], None]:
    def apply(db: sqlite_utils.Database) -> None:
        for statement in statements:
            db.execute(statement)
    return apply


ESCALATIONS = """
CREATE TABLE escalations (
    id INTEGER PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    source_key TEXT UNIQUE,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'claimed', 'resolved', 'reopened')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    asker_id TEXT NOT NULL,
    asker_name TEXT,
    via TEXT NOT NULL DEFAULT 'slack',
    workspace TEXT,
    channel TEXT,
    mode TEXT,
    capacity TEXT,
    profile TEXT NOT NULL,
    text TEXT,
    personal_details TEXT NOT NULL DEFAULT 'none' CHECK (personal_details IN ('none', 'masked', 'kept')),
    context TEXT,
    urgency TEXT NOT NULL DEFAULT 'normal',
    verdict TEXT CHECK (verdict IN ('ok', 'caution', 'needs-approval', 'do-not-post')),
    escalate INTEGER,
    summary TEXT,
    topics TEXT,
    finding_kinds TEXT,
    assignee_id TEXT,
    assignee_name TEXT,
    claimed_at TEXT,
    resolution TEXT,
    resolved_at TEXT,
    purged_at TEXT
)"""

ESCALATION_PROVISIONS = """
CREATE TABLE escalation_provisions (
    escalation_id INTEGER NOT NULL REFERENCES escalations(id),
    position INTEGER NOT NULL,
    provision_id TEXT NOT NULL,
    title TEXT,
    topics TEXT,
    effect TEXT,
    PRIMARY KEY (escalation_id, position)
)"""

COMMENTS = """
CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    escalation_id INTEGER NOT NULL REFERENCES escalations(id),
    created_at TEXT NOT NULL,
    author_id TEXT NOT NULL,
    author_name TEXT,
    text TEXT
)"""

AUDIT = """
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    escalation_id INTEGER REFERENCES escalations(id),
    ref TEXT,
    actor_id TEXT NOT NULL,
    actor_name TEXT,
    action TEXT NOT NULL,
    detail TEXT
)"""

# The audit trail is append-only for everyone, sqlite3 shell included.
AUDIT_TRIGGERS = (
    """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: rows cannot be changed'); END""",
    """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: rows cannot be deleted'); END""",
)

ANSWERS = """
CREATE TABLE answers (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    user_id TEXT,
    workspace TEXT,
    channel TEXT,
    mode TEXT,
    profile TEXT,
    capacity TEXT,
    text TEXT NOT NULL,
    answer TEXT NOT NULL
)"""

FEEDBACK = """
CREATE TABLE feedback (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('helpful', 'not-helpful', 'unmatched')),
    answer_id TEXT REFERENCES answers(id) ON DELETE SET NULL,
    user_id TEXT,
    profile TEXT,
    question TEXT,
    verdict TEXT,
    provision_ids TEXT,
    first_provision TEXT
)"""

HANDLED_EVENTS = """
CREATE TABLE handled_events (
    key TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('in-progress', 'done')),
    started_at TEXT NOT NULL,
    finished_at TEXT
)"""

PRECEDENTS = """
CREATE TABLE precedents (
    escalation_id INTEGER PRIMARY KEY REFERENCES escalations(id),
    created_at TEXT NOT NULL,
    answered_on TEXT NOT NULL,
    profile TEXT,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    marked_by_id TEXT,
    marked_by_name TEXT
)"""

OUTBOX = """
CREATE TABLE outbox (
    key TEXT PRIMARY KEY,
    handler TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed', 'expired')),
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    next_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    owner TEXT,
    lease_until TEXT,
    finished_at TEXT,
    last_error TEXT
)"""

OUTBOX_STEPS = """
CREATE TABLE outbox_steps (
    key TEXT NOT NULL REFERENCES outbox(key),
    step TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('started', 'done')),
    result TEXT,
    at TEXT NOT NULL,
    PRIMARY KEY (key, step)
)"""

RULINGS = """
CREATE TABLE rulings (
    id INTEGER PRIMARY KEY,
    escalation_id INTEGER NOT NULL REFERENCES escalations(id),
    created_at TEXT NOT NULL,
    ruled_by_id TEXT NOT NULL,
    ruled_by_name TEXT,
    profile TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('ask', 'check')),
    capacity TEXT NOT NULL CHECK (capacity IN ('official', 'professional', 'personal')),
    verdict TEXT NOT NULL CHECK (verdict IN ('ok', 'caution', 'needs-approval', 'do-not-post')),
    topics TEXT NOT NULL DEFAULT '[]',
    provisions TEXT NOT NULL DEFAULT '[]',
    canipost_verdict TEXT CHECK (canipost_verdict IN ('ok', 'caution', 'needs-approval', 'do-not-post')),
    agreement TEXT CHECK (agreement IN ('agreed', 'under-called', 'over-called')),
    learn INTEGER NOT NULL DEFAULT 0 CHECK (learn IN (0, 1)),
    example_text TEXT,
    withdrawn_at TEXT
)"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration("escalations and the audit trail", _script(
        ESCALATIONS,
        "CREATE INDEX escalations_status ON escalations (status, id)",
        "CREATE INDEX escalations_asker ON escalations (asker_id, id)",
        # Narrow indexes that cover the statistics, so they never read the cases' text.
        "CREATE INDEX escalations_resolved ON escalations (resolved_at, created_at) WHERE resolved_at IS NOT NULL",
        "CREATE INDEX escalations_facets ON escalations (profile, verdict, via, topics)",
        ESCALATION_PROVISIONS,
        "CREATE INDEX escalation_provisions_provision ON escalation_provisions (provision_id)",
        COMMENTS,
        "CREATE INDEX comments_escalation ON comments (escalation_id)",
        AUDIT,
        "CREATE INDEX audit_escalation ON audit (escalation_id)",
        *AUDIT_TRIGGERS,
    )),
    Migration("answer log, feedback and handled events", _script(
        ANSWERS,
        "CREATE INDEX answers_created_at ON answers (created_at)",
        FEEDBACK,
        "CREATE INDEX feedback_kind ON feedback (kind, created_at)",
        "CREATE INDEX feedback_answer ON feedback (answer_id)",
        HANDLED_EVENTS,
    )),
    Migration("precedents", _script(
        PRECEDENTS,
        # The question with emails, phone numbers and names taken out, worked out when the
        # case is created (the findings' spans refer to the text as first written).
        "ALTER TABLE escalations ADD COLUMN question_anonymised TEXT",
    )),
    Migration("where each case was announced", _script(
        # The advisors' channel message for the case, so a claim or resolution made anywhere
        # (the Home tab, another notice) can bring it up to date.
        "ALTER TABLE escalations ADD COLUMN notice_channel TEXT",
        "ALTER TABLE escalations ADD COLUMN notice_ts TEXT",
    )),
    Migration("the outbox: work acknowledged in Slack, kept until it is delivered", _script(
        OUTBOX,
        "CREATE INDEX outbox_due ON outbox (status, next_at)",
        OUTBOX_STEPS,
        # Which piece of work holds a handled event's claim, so that it can take it back after a crash.
        "ALTER TABLE handled_events ADD COLUMN holder TEXT",
    )),
    Migration("rulings: the advisors' verdicts, measured against canipost's and learnt from", _script(
        RULINGS,
        # One ruling stands for a case at a time; reopening it withdraws the ruling (kept, dated).
        "CREATE UNIQUE INDEX rulings_current ON rulings (escalation_id) WHERE withdrawn_at IS NULL",
        "CREATE INDEX rulings_created ON rulings (created_at) WHERE withdrawn_at IS NULL",
    )),
)

LATEST = len(MIGRATIONS)

SCHEMA_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
)"""


def version(database: Database) -> int:
    with database.lock:
        return database.db.execute("PRAGMA user_version").fetchone()[0]


def migrate(database: Database, target: int | None = None) -> int:
    """Apply pending migrations up to ``target`` (default: all); returns the version the file is now at."""
    target = LATEST if target is None else target
    current = version(database)
    if current > LATEST:
        raise SchemaTooNew(f"{database.path} was written by a newer canipost (schema {current}, "
                           f"this one knows {LATEST}); upgrade canipost to open it")
    if current >= target:
        return current
    with database.write() as db:
        current = db.execute("PRAGMA user_version").fetchone()[0]  # again, now we hold the lock
        db.execute(SCHEMA_MIGRATIONS)
        for number in range(current + 1, target + 1):
            migration = MIGRATIONS[number - 1]
            migration.apply(db)
            db.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                       [number, migration.name, database.now()])
            # user_version is part of the transaction: a failed step leaves it where it was.
            db.execute(f"PRAGMA user_version = {int(number)}")
        return max(current, target)
