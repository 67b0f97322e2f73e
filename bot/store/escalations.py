"""Escalations: the cases canipost passes to the ethics advisory contact.

The workflow::

    open ──claim──▶ claimed ──resolve──▶ resolved ──reopen──▶ reopened ──claim──▶ ...
      └──────────────resolve─────────────────▲          (reopened behaves as open)

Who may do what:

* advisors see every case, claim, comment, resolve and reopen;
* the asker sees their own cases (and their status), and may add a comment to them;
* anyone else is refused, politely, and the attempt goes on the audit trail.

Every change and its audit row are written in one transaction. A refused attempt writes
only its audit row, then raises :class:`NotAllowed` or :class:`InvalidTransition`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from typing import Any, Iterable, TextIO

import sqlite_utils

from ..errors import InputError
from . import audit as audit_trail
from . import reports
from .db import Database, timestamp
from .errors import InvalidTransition, NotAllowed, NotFound
from .masking import CONTACT_KINDS, IDENTIFYING_KINDS, mask, mask_values, personal_findings
from .model import SYSTEM, Actor, AuditEntry, Comment, Escalation
from .rulings import Ruling, agreement
from .rulings import describe as describe_ruling
from .rulings import from_row as from_ruling_row

log = logging.getLogger("canipost.store")

REF_PREFIX = "CP-"
URGENCIES = ("low", "normal", "high", "urgent")
#: ``open`` in a filter means "waiting for an advisor": new or reopened.
STATUS_FILTERS = {
    "open": ("open", "reopened"),
    "claimed": ("claimed",),
    "resolved": ("resolved",),
    "reopened": ("reopened",),
    "all": None,
}
MAX_TEXT = 40_000
CONSENT = "use this ruling (its text de-identified) to improve answers, from the next retrain"

_REF = re.compile(r"^\s*(?:cp-?)?0*(\d{1,12})\s*$", re.IGNORECASE)


def format_ref(number: int) -> str:
    return f"{REF_PREFIX}{number:05d}"


def parse_ref(ref: str | int) -> int:
    """The case number of ``CP-00042``, ``cp-42`` or ``42``."""
    if isinstance(ref, int):
        return ref
    match = _REF.match(str(ref))
    if not match:
        raise NotFound(f"There is no case {str(ref)[:40]!r}: case references look like {format_ref(42)}.")
    return int(match.group(1))


def _require_text(value: str | None, what: str) -> str:
    if value is None or not value.strip():
        raise InputError(f"the {what} is empty")
    if len(value) > MAX_TEXT:
        raise InputError(f"the {what} is {len(value):,} characters long; at most {MAX_TEXT:,} are kept")
    return value.strip()


class Escalations:
    def __init__(self, database: Database):
        self.database = database

    # -- creating -------------------------------------------------------------------------

    def create(self, *, asker: Actor, text: str, answer: dict[str, Any] | None, mode: str | None = None,
               profile: str | None = None, capacity: str | None = None, workspace: str | None = None,
               channel: str | None = None, context: str | None = None, urgency: str = "normal",
               via: str = "slack", source_key: str | None = None,
               keep_personal_details: bool = False, recorded_by: Actor | None = None) -> Escalation:
        """Open a case for ``asker`` with the engine's ``answer`` (its contract dict) as it was.

        ``source_key`` names the interaction that asked for it (``"slack:view:V123"``): a
        retry or a second click with the same key returns the first case, with
        ``created=False``, instead of making another. Emails and phone numbers the
        answer's findings mark are masked in the stored text unless
        ``keep_personal_details``. ``recorded_by`` is the advisor who logged a case that
        came by phone or email (the audit trail names them; the case belongs to ``asker``).
        """
        text = _require_text(text, "text of the case")
        if urgency not in URGENCIES:
            raise InputError(f"unknown urgency {urgency!r} (known: {', '.join(URGENCIES)})")
        answer = answer or {}
        profile = profile or answer.get("profile")
        if not profile:
            raise InputError("the case needs a profile (the organisation whose rules apply)")
        findings = answer.get("findings") or []
        contact_details = personal_findings(findings, CONTACT_KINDS)
        personal = "none" if not contact_details else "kept" if keep_personal_details else "masked"
        scrub = self.database.scrub
        stored_text = text if keep_personal_details else mask(text, findings, CONTACT_KINDS)
        stored_context = context.strip() if context and context.strip() else None
        if stored_context and not keep_personal_details:
            stored_context = mask_values(stored_context, findings, CONTACT_KINDS)
        provisions = [p for p in answer.get("provisions") or [] if isinstance(p, dict) and p.get("id")]
        topics = list(dict.fromkeys(t for p in provisions for t in p.get("topics") or []))
        now = self.database.now()

        with self.database.write() as db:
            if source_key:
                existing = db.execute("SELECT id FROM escalations WHERE source_key = ?", [source_key]).fetchone()
                if existing:
                    found = self._load(db, existing[0], asker)
                    found.created = False
                    return found
            # Safe without AUTOINCREMENT: BEGIN IMMEDIATE means no other writer is between
            # this read and the insert.
            number = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM escalations").fetchone()[0]
            ref = format_ref(number)
            db["escalations"].insert({
                "id": number, "ref": ref, "source_key": source_key, "status": "open",
                "created_at": now, "updated_at": now,
                "asker_id": asker.id, "asker_name": asker.name or None, "via": via,
                "workspace": workspace, "channel": channel,
                "mode": mode or answer.get("mode"), "capacity": capacity or answer.get("capacity"),
                "profile": profile, "text": scrub(stored_text), "personal_details": personal,
                "context": scrub(stored_context), "urgency": urgency,
                "verdict": answer.get("verdict"),
                "escalate": None if "escalate" not in answer else int(bool(answer["escalate"])),
                "summary": answer.get("summary"),
                "topics": json.dumps(topics),
                "finding_kinds": json.dumps(list(dict.fromkeys(f.get("kind") for f in findings if f.get("kind")))),
                "question_anonymised": scrub(mask(text, findings, IDENTIFYING_KINDS)),
            })
            if provisions:
                db["escalation_provisions"].insert_all(
                    {"escalation_id": number, "position": position, "provision_id": p["id"],
                     "title": p.get("title"), "topics": json.dumps(list(p.get("topics") or [])),
                     "effect": p.get("effect")}
                    for position, p in enumerate(provisions, 1)
                )
            detail = f"via {via}, verdict {answer.get('verdict') or 'none'}"
            if personal != "none":
                detail += f", personal details {personal}"
            if recorded_by is not None:
                detail += f", for {asker.label}"
            audit_trail.record(db, now, recorded_by or asker, "created", escalation_id=number, ref=ref, detail=detail)
            created = self._load(db, number, asker)
        log.info("escalation %s created via %s (profile %s)", ref, via, profile)
        return created

    # -- reading --------------------------------------------------------------------------

    def get(self, ref: str | int, actor: Actor) -> Escalation:
        """One case with its provisions and comments: for advisors, or the asker's own."""
        number = parse_ref(ref)
        with self.database.read() as db:
            row = self._row(db, number)
            if actor.is_advisor or row["asker_id"] == actor.id:
                return self._load(db, number, actor)
        self._refuse(row, actor, "view", NotAllowed(
            f"Sorry, {row['ref']} is not one of your cases. Only the ethics advisors can see other people's cases."))

    def list(self, actor: Actor, status: str | None = None, asker: str | None = None, limit: int = 100,
             offset: int = 0) -> list[Escalation]:
        """Cases, without provisions or comments. Advisors see all; anyone else sees only their own.

        ``status`` is ``open`` (new or reopened), ``claimed``, ``resolved``, ``reopened`` or
        ``all``. Cases waiting for an advisor come oldest first (the order to work them in);
        other listings newest first.
        """
        where, params = self._filters(actor, status, asker)
        oldest_first = status in ("open", "claimed", "reopened")
        rows = self.database.query(
            f"SELECT e.*, EXISTS (SELECT 1 FROM precedents p WHERE p.escalation_id = e.id) AS precedent "
            f"FROM escalations e {where} ORDER BY e.id {'ASC' if oldest_first else 'DESC'} LIMIT ? OFFSET ?",
            [*params, int(limit), int(offset)],
        )
        return [Escalation.from_row(row) for row in rows]

    def count(self, actor: Actor, status: str | None = None, asker: str | None = None) -> int:
        where, params = self._filters(actor, status, asker)
        return self.database.query(f"SELECT COUNT(*) AS n FROM escalations e {where}", params)[0]["n"]

    def _filters(self, actor: Actor, status: str | None, asker: str | None) -> tuple[str, list]:
        if status is not None and status not in STATUS_FILTERS:
            raise InputError(f"unknown status {status!r} (known: {', '.join(STATUS_FILTERS)})")
        if not actor.is_advisor:
            if asker is not None and asker != actor.id:
                self._refuse(None, actor, "list", NotAllowed(
                    "Sorry, you can only see your own cases. Only the ethics advisors can see the queue."),
                    detail=f"list: the cases of {asker}")
            asker = actor.id
        clauses, params = [], []
        statuses = STATUS_FILTERS.get(status or "all")
        if statuses:
            clauses.append(f"e.status IN ({', '.join('?' for _ in statuses)})")
            params += statuses
        if asker is not None:
            clauses.append("e.asker_id = ?")
            params.append(asker)
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", params

    def audit(self, ref: str | int, actor: Actor | None = None) -> list[AuditEntry]:
        """The audit trail of one case, oldest first. Advisors only (``actor=None``: a trusted caller)."""
        number = parse_ref(ref)
        with self.database.read() as db:
            row = self._row(db, number)
            if actor is None or actor.is_advisor:
                return audit_trail.entries(db, number)
        self._refuse(row, actor, "view the audit trail", NotAllowed("Sorry, only the ethics advisors can see the audit trail."))

    # -- the workflow ---------------------------------------------------------------------

    def claim(self, ref: str | int, actor: Actor, take_over: bool = False) -> Escalation:
        """``actor`` takes the case on. A case claimed by another advisor needs ``take_over``."""

        def check(row: dict) -> str | None:
            if row["status"] == "resolved":
                return (f"{row['ref']} is already resolved, so it cannot be claimed. "
                        "Reopen it first if it needs more work.")
            if row["status"] == "claimed":
                if row["assignee_id"] == actor.id:
                    return f"You have already claimed {row['ref']}."
                if not take_over:
                    return (f"{row['ref']} is already claimed by {row['assignee_name'] or row['assignee_id']}. "
                            "Take it over if you are taking the case from them.")
            return None

        def apply(db: sqlite_utils.Database, row: dict, now: str) -> str | None:
            db.execute("UPDATE escalations SET status = 'claimed', assignee_id = ?, assignee_name = ?, claimed_at = ?, "
                       "updated_at = ? WHERE id = ?", [actor.id, actor.name or None, now, now, row["id"]])
            if row["status"] == "claimed":
                return f"taken over from {row['assignee_name'] or row['assignee_id']}"
            return None

        return self._transition(ref, actor, "claim", "claimed", check, apply)

    def comment(self, ref: str | int, actor: Actor, text: str) -> Escalation:
        """Add a note to the case. Advisors, or the asker on their own case."""
        text = _require_text(text, "comment")
        number = parse_ref(ref)
        with self.database.write() as db:
            row = self._row(db, number)
            if actor.is_advisor or row["asker_id"] == actor.id:
                now = self.database.now()
                self._add_comment(db, number, actor, text, now)
                db.execute("UPDATE escalations SET updated_at = ? WHERE id = ?", [now, number])
                audit_trail.record(db, now, actor, "commented", escalation_id=number, ref=row["ref"])
                return self._load(db, number, actor)
        self._refuse(row, actor, "comment", NotAllowed(
            f"Sorry, {row['ref']} is not one of your cases, so you cannot comment on it."))

    def resolve(self, ref: str | int, actor: Actor, answer: str, precedent: bool = False,
                precedent_question: str | None = None, ruling: Ruling | None = None) -> Escalation:
        """Record the advisor's ``answer`` and close the case.

        ``precedent`` publishes the answer, with the question stripped of emails, phone
        numbers and names, to everyone asking something similar later.
        ``precedent_question`` replaces that stripped question with the advisor's own wording
        (in the precedent, and in the example a ruling becomes).
        ``ruling`` records the advisor's verdict on the text beside canipost's (see :mod:`.rulings`);
        with consent (by default, when it is a precedent) the text becomes a labelled example.
        """
        answer = _require_text(answer, "answer")
        if precedent_question is not None:
            precedent_question = _require_text(precedent_question, "question of the precedent")
        ruling = ruling.checked() if ruling is not None else None
        learn = ruling is not None and (precedent if ruling.learn is None else ruling.learn)

        def check(row: dict) -> str | None:
            if row["status"] == "resolved":
                return (f"{row['ref']} was already resolved on {row['resolved_at'][:10]} by "
                        f"{row['assignee_name'] or row['assignee_id']}. Reopen it to answer it again.")
            if (precedent or learn) and not precedent_question and not row["question_anonymised"]:
                return (f"{row['ref']} was stored before precedents existed, so its question has no "
                        "anonymised version: give the question as the precedent should show it.")
            return None

        def apply(db: sqlite_utils.Database, row: dict, now: str) -> str | None:
            scrub = self.database.scrub
            db.execute("UPDATE escalations SET status = 'resolved', resolution = ?, resolved_at = ?, updated_at = ?, "
                       "assignee_id = ?, assignee_name = ?, claimed_at = COALESCE(claimed_at, ?) WHERE id = ?",
                       [scrub(answer), now, now, actor.id, actor.name or None, now, row["id"]])
            if not precedent:
                return None
            db["precedents"].insert({
                "escalation_id": row["id"], "created_at": now, "answered_on": now[:10], "profile": row["profile"],
                "question": scrub(precedent_question or row["question_anonymised"]), "answer": scrub(answer),
                "marked_by_id": actor.id, "marked_by_name": actor.name or None,
            }, replace=True)
            return "marked as a precedent"

        def record_ruling(db: sqlite_utils.Database, row: dict, now: str) -> None:
            if ruling is None:
                return
            db["rulings"].insert({
                "escalation_id": row["id"], "created_at": now, "ruled_by_id": actor.id,
                "ruled_by_name": actor.name or None, "profile": row["profile"], "mode": row["mode"] or "ask",
                "capacity": ruling.capacity, "verdict": ruling.verdict, "topics": json.dumps(list(ruling.topics)),
                "provisions": json.dumps(list(ruling.provisions)), "canipost_verdict": row["verdict"],
                "agreement": agreement(row["verdict"], ruling.verdict), "learn": int(learn),
                "example_text": self.database.scrub(precedent_question or row["question_anonymised"]),
            })
            audit_trail.record(db, now, actor, "ruled", escalation_id=row["id"], ref=row["ref"], detail=describe_ruling(
                ruling.verdict, ruling.capacity, row["verdict"], ruling.topics, ruling.provisions))
            if learn:
                audit_trail.record(db, now, actor, "consent-given", escalation_id=row["id"], ref=row["ref"],
                                   detail=CONSENT)

        return self._transition(ref, actor, "resolve", "resolved", check, apply, after=record_ruling)

    def consent(self, ref: str | int, actor: Actor, learn: bool, text: str | None = None) -> Escalation:
        """Give (``learn``) or withdraw the consent to learn from the case's ruling; ``text`` is the
        advisor's own wording of the example (the de-identified text otherwise). A withdrawn
        consent takes the example out of the training set at the next retrain."""
        if text is not None:
            text = _require_text(text, "text of the example")
        action = "consent-given" if learn else "consent-withdrawn"

        def check(row: dict) -> str | None:
            current = self._ruling(self.database.db, row["id"])
            if current is None:
                return f"{row['ref']} has no ruling to learn from: rulings are recorded when a case is resolved."
            if learn and not (text or current["example_text"]):
                return f"{row['ref']}'s text was not kept for learning: give the text as the example should read."
            if bool(current["learn"]) == learn and text is None:
                return f"{row['ref']}'s ruling is already {'' if learn else 'not '}used to improve answers."
            return None

        def apply(db: sqlite_utils.Database, row: dict, now: str) -> str:
            db.execute("UPDATE rulings SET learn = ?, example_text = COALESCE(?, example_text) "
                       "WHERE escalation_id = ? AND withdrawn_at IS NULL",
                       [int(learn), self.database.scrub(text), row["id"]])
            return CONSENT if learn else "not used to improve answers from the next retrain"

        return self._transition(ref, actor, "change the consent of", action, check, apply)

    def reopen(self, ref: str | int, actor: Actor, reason: str) -> Escalation:
        """Put a resolved case back in the queue. The earlier answer is kept as a comment."""
        reason = _require_text(reason, "reason for reopening")

        def check(row: dict) -> str | None:
            if row["status"] != "resolved":
                return f"{row['ref']} is not resolved (it is {row['status']}), so there is nothing to reopen."
            if row["purged_at"]:
                return (f"{row['ref']} cannot be reopened: its text was removed on {row['purged_at'][:10]} "
                        "under the retention policy. Open a new case instead.")
            return None

        def apply(db: sqlite_utils.Database, row: dict, now: str) -> str | None:
            self._add_comment(db, row["id"], actor, f"Reopened: {reason}", now)
            if row["resolution"]:
                self._add_comment(db, row["id"], SYSTEM,
                                  f"Earlier answer, by {row['assignee_name'] or row['assignee_id']} on "
                                  f"{row['resolved_at'][:10]}: {row['resolution']}", now)
            db.execute("UPDATE escalations SET status = 'reopened', resolution = NULL, resolved_at = NULL, "
                       "assignee_id = NULL, assignee_name = NULL, claimed_at = NULL, updated_at = ? WHERE id = ?",
                       [now, row["id"]])
            # An answer under review is no longer one to show other people.
            if db.execute("DELETE FROM precedents WHERE escalation_id = ?", [row["id"]]).rowcount:
                audit_trail.record(db, now, actor, "precedent-withdrawn", escalation_id=row["id"], ref=row["ref"])
            # ... nor one to measure canipost by, or to learn from at the next retrain.
            if db.execute("UPDATE rulings SET withdrawn_at = ? WHERE escalation_id = ? AND withdrawn_at IS NULL",
                          [now, row["id"]]).rowcount:
                audit_trail.record(db, now, actor, "ruling-withdrawn", escalation_id=row["id"], ref=row["ref"],
                                   detail="no longer counted in the agreement, nor learnt from at the next retrain")
            return None

        return self._transition(ref, actor, "reopen", "reopened", check, apply)

    def record_notice(self, ref: str | int, channel: str, ts: str) -> None:
        """Remember the advisors' channel message that announced the case (not a step in the case:
        no audit row), so whichever button moves the case on can update it."""
        number = parse_ref(ref)
        with self.database.write() as db:
            db.execute("UPDATE escalations SET notice_channel = ?, notice_ts = ? WHERE id = ?", [channel, ts, number])

    # -- retention ------------------------------------------------------------------------

    def purge(self, retention_days: int, now: dt.datetime | None = None, actor: Actor = SYSTEM) -> list[str]:
        """Remove the text, context and comments of cases resolved more than ``retention_days`` ago.

        What stays: the reference, dates, status, verdict and provisions, the advisor's
        answer, the audit trail (with a ``purged`` row), and any precedent (already
        anonymised). Returns the references purged.
        """
        if retention_days < 1:
            raise InputError("the retention period must be at least one day")
        moment = now or self.database.clock()
        cutoff = timestamp(moment - dt.timedelta(days=retention_days))
        stamp = timestamp(moment)
        with self.database.write() as db:
            rows = db.execute("SELECT id, ref FROM escalations WHERE status = 'resolved' AND resolved_at < ? "
                              "AND purged_at IS NULL ORDER BY id", [cutoff]).fetchall()
            for number, ref in rows:
                db.execute("UPDATE escalations SET text = NULL, context = NULL, question_anonymised = NULL, "
                           "purged_at = ?, updated_at = ? WHERE id = ?", [stamp, stamp, number])
                db.execute("UPDATE comments SET text = NULL WHERE escalation_id = ?", [number])
                audit_trail.record(db, stamp, actor, "purged", escalation_id=number, ref=ref,
                                   detail=f"text removed: resolved more than {retention_days} days ago")
        if rows:
            log.info("purged the text of %d resolved case(s)", len(rows))
        return [ref for _, ref in rows]

    # -- reports --------------------------------------------------------------------------

    def stats(self, actor: Actor | None = None) -> dict[str, Any]:
        """Counts by status, topic, profile and verdict, and the median time to resolve."""
        self._advisors_only(actor, "see the statistics")
        with self.database.read() as db:
            return reports.stats(db)

    def agreement(self, actor: Actor | None = None, since: str | None = None, profile: str | None = None) -> dict[str, Any]:
        """How often canipost's verdicts agreed with the advisors' rulings (see :func:`.reports.agreement`)."""
        self._advisors_only(actor, "see how canipost agrees with the rulings")
        with self.database.read() as db:
            return reports.agreement(db, since, profile)

    def export_csv(self, out: TextIO, actor: Actor | None = None, include_text: bool = True) -> int:
        """Every case as CSV rows on ``out``; returns how many."""
        self._advisors_only(actor, "export the cases")
        with self.database.read() as db:
            return reports.export_csv(db, out, include_text)

    def export_jsonl(self, out: TextIO, actor: Actor | None = None, include_text: bool = True) -> int:
        """Every case as JSON Lines on ``out`` (the CSV's columns); returns how many."""
        self._advisors_only(actor, "export the cases")
        with self.database.read() as db:
            return reports.export_jsonl(db, out, include_text)

    # -- internals ------------------------------------------------------------------------

    def require_advisor(self, ref: str | int, actor: Actor, verb: str) -> None:
        """Refuse, and audit, a non-advisor's attempt to ``verb`` a case before any form opens.

        The workflow steps check this themselves; a front end that asks for details first (the
        Resolve modal) calls it when the button is pressed, so the attempt is on record either way.
        """
        refusal: Exception | None = None
        with self.database.write() as db:
            row, refusal = self._named(db, ref, actor, verb)
            if row is not None and not actor.is_advisor:
                refusal = NotAllowed(f"Sorry, only the ethics advisors can {verb} cases.")
                self._audit_refusal(db, row, actor, f"{verb}: {refusal}")
        if refusal is not None:
            raise refusal

    def _transition(self, ref, actor: Actor, verb: str, new_status: str, check, apply, after=None) -> Escalation:
        """Run one workflow step: advisors only, state checked, change and audit row together
        (``after``: what follows the step in the same transaction, with audit rows of its own)."""
        with self.database.write() as db:
            row, refusal = self._named(db, ref, actor, verb)
            if row is None:
                pass
            elif not actor.is_advisor:
                refusal = NotAllowed(f"Sorry, only the ethics advisors can {verb} cases.")
            elif (problem := check(row)) is not None:
                refusal = InvalidTransition(problem)
            if refusal is None:
                now = self.database.now()
                detail = apply(db, row, now)
                audit_trail.record(db, now, actor, new_status, escalation_id=row["id"], ref=row["ref"], detail=detail)
                if after is not None:
                    after(db, row, now)
                log.info("escalation %s %s by %s", row["ref"], new_status, actor.id)
                return self._load(db, row["id"], actor)
            if row is not None:
                self._audit_refusal(db, row, actor, f"{verb}: {refusal}")
        raise refusal

    def _named(self, db: sqlite_utils.Database, ref: str | int, actor: Actor,
               verb: str) -> tuple[dict | None, NotFound | None]:
        """The case ``ref`` names; or, when there is none, the refusal, already on the audit trail
        (someone trying references is worth knowing about)."""
        try:
            return self._row(db, parse_ref(ref)), None
        except NotFound as missing:
            named = format_ref(ref) if isinstance(ref, int) else str(ref)[:40]
            audit_trail.record(db, self.database.now(), actor, "refused", ref=named, detail=f"{verb}: {missing}")
            log.info("refused %s for %s: no case %r", verb, actor.id, named)
            return None, missing

    def _refuse(self, row: dict | None, actor: Actor, verb: str, error: Exception, detail: str | None = None):
        with self.database.write() as db:
            self._audit_refusal(db, row, actor, detail or f"{verb}: {error}")
        raise error

    def _audit_refusal(self, db: sqlite_utils.Database, row: dict | None, actor: Actor, detail: str) -> None:
        audit_trail.record(db, self.database.now(), actor, "refused", escalation_id=row and row["id"],
                           ref=row and row["ref"], detail=detail)
        log.info("refused %s for %s%s", detail.split(":")[0], actor.id, f" on {row['ref']}" if row else "")

    def _advisors_only(self, actor: Actor | None, what: str) -> None:
        if actor is not None and not actor.is_advisor:
            self._refuse(None, actor, what, NotAllowed(f"Sorry, only the ethics advisors can {what}."))

    @staticmethod
    def _row(db: sqlite_utils.Database, number: int) -> dict:
        rows = list(db.query("SELECT * FROM escalations WHERE id = ?", [number]))
        if not rows:
            raise NotFound(f"There is no case {format_ref(number)}.")
        return rows[0]

    def _add_comment(self, db: sqlite_utils.Database, number: int, actor: Actor, text: str, now: str) -> None:
        db.execute("INSERT INTO comments (escalation_id, created_at, author_id, author_name, text) VALUES (?, ?, ?, ?, ?)",
                   [number, now, actor.id, actor.name or None, self.database.scrub(text)])

    def _load(self, db: sqlite_utils.Database, number: int, actor: Actor) -> Escalation:
        row = self._row(db, number)
        row["precedent"] = db.execute("SELECT 1 FROM precedents WHERE escalation_id = ?", [number]).fetchone()
        ruling = self._ruling(db, number)
        provisions = [
            {"id": p["provision_id"], "title": p["title"], "topics": json.loads(p["topics"] or "[]"), "effect": p["effect"]}
            for p in db.query("SELECT * FROM escalation_provisions WHERE escalation_id = ? ORDER BY position", [number])
        ]
        comments: Iterable[dict] = db.query("SELECT * FROM comments WHERE escalation_id = ? ORDER BY id", [number])
        # Advisors' notes are theirs; the asker sees only what they wrote themselves.
        visible = [Comment(c["created_at"], c["author_id"], c["author_name"], c["text"]) for c in comments
                   if actor.is_advisor or c["author_id"] == actor.id]
        # The asker is told the advisor's answer; the ruling is the advisors' own record.
        ruling_seen = from_ruling_row(ruling) if ruling is not None and actor.is_advisor else None
        return Escalation.from_row(row, provisions=provisions, comments=visible, ruling=ruling_seen)

    @staticmethod
    def _ruling(db: sqlite_utils.Database, number: int) -> dict | None:
        rows = list(db.query("SELECT * FROM rulings WHERE escalation_id = ? AND withdrawn_at IS NULL", [number]))
        return rows[0] if rows else None
