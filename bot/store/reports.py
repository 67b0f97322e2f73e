"""Figures and exports over the escalations, for the advisors and their analysts."""

from __future__ import annotations

import csv
import json
from collections import Counter
from typing import Any, TextIO

import sqlite_utils

from ..spreadsheet import spreadsheet_cell
from .schema import STATUSES

EXPORT_COLUMNS = (
    "ref", "status", "created_at", "asker_id", "asker_name", "via", "workspace", "channel", "mode", "capacity",
    "profile", "urgency", "verdict", "escalate", "provisions", "topics", "personal_details", "assignee_name",
    "claimed_at", "resolved_at", "resolution", "precedent", "purged_at",
)
TEXT_COLUMNS = ("text", "context")


def _ranked(counts: Counter) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def stats(db: sqlite_utils.Database) -> dict[str, Any]:
    by_status = dict.fromkeys(STATUSES, 0)
    by_status.update(db.execute("SELECT status, COUNT(*) FROM escalations GROUP BY status").fetchall())
    # One pass over a covering index gives every breakdown; the topics are JSON lists, so
    # their counts are added up here rather than with json_each over every row.
    facets = {name: Counter() for name in ("profile", "verdict", "via", "topic")}
    for profile, verdict, via, topics, count in db.execute(
            "SELECT profile, verdict, via, topics, COUNT(*) FROM escalations GROUP BY profile, verdict, via, topics"):
        facets["profile"][profile] += count
        facets["verdict"][verdict or "(none)"] += count
        facets["via"][via] += count
        for topic in json.loads(topics or "[]"):
            facets["topic"][topic] += count
    hours = "(julianday(resolved_at) - julianday(created_at)) * 24"
    resolved = db.execute("SELECT COUNT(*) FROM escalations WHERE resolved_at IS NOT NULL").fetchone()[0]
    median = None
    if resolved:
        # The middle one or two durations, without pulling every row into Python.
        middle = db.execute(f"SELECT {hours} AS hours FROM escalations WHERE resolved_at IS NOT NULL "
                            "ORDER BY hours LIMIT ? OFFSET ?", [2 - resolved % 2, (resolved - 1) // 2]).fetchall()
        median = round(sum(h for (h,) in middle) / len(middle), 2)
    oldest = db.execute("SELECT ref, created_at FROM escalations WHERE status IN ('open', 'reopened') "
                        "ORDER BY id LIMIT 1").fetchone()
    return {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_topic": _ranked(facets["topic"]),
        "by_profile": _ranked(facets["profile"]),
        "by_verdict": _ranked(facets["verdict"]),
        "by_via": _ranked(facets["via"]),
        "resolved": resolved,
        "median_hours_to_resolve": median,
        "oldest_open": {"ref": oldest[0], "created_at": oldest[1]} if oldest else None,
        "precedents": db.execute("SELECT COUNT(*) FROM precedents").fetchone()[0],
        "agreement": agreement(db),
    }


#: The agreement keys, in the order a report shows them (under-called first: the dangerous direction).
AGREEMENT_KEYS = {"under-called": "under_called", "over-called": "over_called", "agreed": "agreed"}


def agreement(db: sqlite_utils.Database, since: str | None = None, profile: str | None = None) -> dict[str, Any]:
    """How canipost's verdicts stood against the advisors' rulings: in all, and per profile and
    month of the ruling (profiles in order, newest month first), with the cases behind each figure,
    newest first. Only rulings that stand (not withdrawn) on cases canipost had answered count.

    ``since`` is a date (``2024-05-01``); ``profile`` keeps one profile's rulings.
    """
    clauses, params = ["r.withdrawn_at IS NULL", "r.agreement IS NOT NULL"], []
    if since:
        clauses.append("r.created_at >= ?")
        params.append(since)
    if profile:
        clauses.append("r.profile = ?")
        params.append(profile)
    rows = db.query("SELECT e.ref, r.profile, r.created_at, r.capacity, r.verdict, r.canipost_verdict, r.agreement "
                    "FROM rulings r JOIN escalations e ON e.id = r.escalation_id "
                    f"WHERE {' AND '.join(clauses)} ORDER BY r.created_at DESC, r.id DESC", params)
    totals = _agreement_counts()
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        key = AGREEMENT_KEYS[row["agreement"]]
        group = groups.setdefault((row["profile"], row["created_at"][:7]), {
            "profile": row["profile"], "month": row["created_at"][:7], **_agreement_counts(),
            "cases": {k: [] for k in AGREEMENT_KEYS.values()}})
        for counts in (totals, group):
            counts["rulings"] += 1
            counts[key] += 1
        group["cases"][key].append({"ref": row["ref"], "ruled_on": row["created_at"][:10], "capacity": row["capacity"],
                                    "canipost": row["canipost_verdict"], "ruling": row["verdict"]})
    ordered = sorted(groups.values(), key=lambda g: g["month"], reverse=True)
    ordered.sort(key=lambda g: g["profile"])  # stable: newest month first within each profile
    for group in ordered:
        group["agreement_rate"] = _rate(group)
    return {"since": since, "profile": profile, **totals, "agreement_rate": _rate(totals), "by_profile_month": ordered}


def _agreement_counts() -> dict[str, int]:
    return {"rulings": 0, **dict.fromkeys(AGREEMENT_KEYS.values(), 0)}


def _rate(counts: dict[str, int]) -> float | None:
    return round(counts["agreed"] / counts["rulings"], 3) if counts["rulings"] else None


EXPORT_SQL = (
    "SELECT e.*, "
    " (SELECT group_concat(provision_id, '; ') FROM "
    "   (SELECT provision_id FROM escalation_provisions p WHERE p.escalation_id = e.id ORDER BY position)) AS provisions, "
    " EXISTS (SELECT 1 FROM precedents pr WHERE pr.escalation_id = e.id) AS precedent "
    "FROM escalations e ORDER BY e.id"
)


def export_csv(db: sqlite_utils.Database, out: TextIO, include_text: bool = True) -> int:
    columns = EXPORT_COLUMNS + (TEXT_COLUMNS if include_text else ())
    # RFC 4180 line ends: a cell holding a lone carriage return is then quoted, not a new row.
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    for row in db.query(EXPORT_SQL):
        row["topics"] = "; ".join(_json_list(row["topics"]))
        row["precedent"] = "yes" if row["precedent"] else "no"
        row["escalate"] = "" if row["escalate"] is None else "yes" if row["escalate"] else "no"
        # Opened in a spreadsheet, an asker's "=..." must not run as a formula.
        writer.writerow([spreadsheet_cell("" if row[c] is None else row[c]) for c in columns])
        count += 1
    return count


def export_jsonl(db: sqlite_utils.Database, out: TextIO, include_text: bool = True) -> int:
    """The same cases and columns as :func:`export_csv`, one JSON object a line, lists as lists."""
    columns = EXPORT_COLUMNS + (TEXT_COLUMNS if include_text else ())
    count = 0
    for row in db.query(EXPORT_SQL):
        row["topics"] = _json_list(row["topics"])
        row["provisions"] = row["provisions"].split("; ") if row["provisions"] else []
        row["precedent"] = bool(row["precedent"])
        row["escalate"] = None if row["escalate"] is None else bool(row["escalate"])
        out.write(json.dumps({c: row[c] for c in columns}, ensure_ascii=False) + "\n")
        count += 1
    return count


def _json_list(value: str | None) -> list[str]:
    return json.loads(value) if value else []
