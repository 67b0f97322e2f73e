"""``canipost feedback report``: where the knowledge base fell short, from people's feedback."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import textwrap

from ..config import Settings
from ..store import Store
from . import bounded_int

WIDTH = 100


def register(subparsers) -> None:
    group = subparsers.add_parser("feedback", help="what people said about canipost's answers",
                                  description="What people said about canipost's answers.")
    commands = group.add_subparsers(dest="feedback_command", metavar="COMMAND", parser_class=type(group))
    commands.required = True
    report = commands.add_parser("report", help="questions marked not helpful, and questions nothing matched, grouped")
    report.add_argument("--profile", help="only this profile's feedback")
    report.add_argument("--days", type=bounded_int(1, 36_500), metavar="N", help="only the last N days")
    report.add_argument("--json", action="store_true", help="print JSON")
    report.set_defaults(func=run_report)


def run_report(args: argparse.Namespace) -> int:
    since = None
    if args.days is not None:
        since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=args.days)
    with Store.open(Settings.from_env()) as store:
        report = store.feedback.report(profile=args.profile, since=since)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    print(render(report))
    return 0


def render(report: dict) -> str:
    totals = report["totals"]
    lines = [f"feedback: {totals['helpful']} helpful, {totals['not-helpful']} not helpful, "
             f"{totals['unmatched']} question(s) nothing matched"]
    if report["not_helpful"]:
        lines += ["", "Not helpful, by the provision cited first:"]
        for group in report["not_helpful"]:
            lines.append(f"  {group['provision'] or '(no provision cited)'}: {group['not_helpful']} not helpful, "
                         f"{group['helpful']} helpful")
            lines += _questions(group["questions"])
    if report["unmatched"]:
        lines += ["", "Nothing matched (candidates for new provisions):"]
        lines += _questions(report["unmatched"])
    if not report["not_helpful"] and not report["unmatched"]:
        lines += ["", "no gaps reported yet"]
    return "\n".join(lines)


def _questions(groups: list[dict]) -> list[str]:
    lines = []
    for group in groups:
        head = f"{group['count']:>4} x  " if group["count"] > 1 else "        "
        lines.append(textwrap.fill(group["question"], WIDTH, initial_indent="    " + head,
                                   subsequent_indent=" " * (4 + len(head)), max_lines=3))
        for example in group["examples"][1:]:
            lines.append(textwrap.fill(f"also: {example}", WIDTH, initial_indent=" " * (4 + len(head)),
                                       subsequent_indent=" " * (10 + len(head)), max_lines=2))
    return lines
