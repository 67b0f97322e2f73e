"""``canipost escalations``: the ethics advisors' queue, on the command line.

The command line is the advisors' own tool on a trusted host, so it acts as an advisor:
``cli:<--by or your login name>``, which is the name the audit trail records. Where a case
came from Slack and ``SLACK_BOT_TOKEN`` is set, claiming, resolving and reopening it here
tell Slack too: the notice in the advisors' channel, and the asker's answer.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any, Iterator, TextIO

from ..config import Settings
from ..contract import CAPACITIES, MODES
from ..errors import InputError
from ..slack.blocks import is_slack_user
from ..store import STATUS_FILTERS, URGENCIES, Actor, Escalation, Store
from . import bounded_int, rulings
from .kb import add_knowledge_option, knowledge_dir

VIAS = ("phone", "email", "in-person", "letter", "other")
MAX_LIMIT = 1_000_000
MAX_DAYS = 36_500  # as CANIPOST_RETENTION_DAYS
WIDTH = 100


def register(subparsers) -> None:
    group = subparsers.add_parser("escalations", help="the ethics advisors' queue of escalated cases",
                                  description="The ethics advisors' queue of escalated cases.")
    commands = group.add_subparsers(dest="escalations_command", metavar="COMMAND", parser_class=type(group))
    commands.required = True

    add = commands.add_parser("add", help="log a case that came by phone or email (the engine's answer is attached)")
    add.add_argument("--asker", required=True, metavar="NAME", help="who asked (a name, email or Slack user id)")
    add.add_argument("--text", required=True, help="the question or draft, or - to read standard input")
    add.add_argument("--profile", help="organisation profile (default: $CANIPOST_PROFILE)")
    add.add_argument("--as", dest="capacity", choices=CAPACITIES, help="capacity the asker writes in")
    add.add_argument("--mode", choices=MODES, default="ask", help="ask (a question, the default) or check (a draft)")
    add.add_argument("--context", help="what the asker added about their situation")
    add.add_argument("--urgency", choices=URGENCIES, default="normal")
    add.add_argument("--via", choices=VIAS, default="other", help="how the case reached you")
    add.add_argument("--keep-personal-details", action="store_true",
                     help="keep other people's emails and phone numbers in the stored text (the asker agreed)")
    _by(add, required=False)
    add_knowledge_option(add)
    _json(add)
    add.set_defaults(func=run_add)

    listing = commands.add_parser("list", help="list cases (the open queue: --status open)")
    listing.add_argument("--status", choices=tuple(STATUS_FILTERS), default="all",
                         help="open (new or reopened), claimed, resolved, reopened or all (default)")
    listing.add_argument("--asker", metavar="ID", help="only this asker's cases")
    listing.add_argument("--limit", type=bounded_int(1, MAX_LIMIT), default=100, help="at most this many (default 100)")
    _json(listing)
    listing.set_defaults(func=run_list)

    show = commands.add_parser("show", help="one case in full, with its audit trail")
    show.add_argument("ref", help="case reference, e.g. CP-00042")
    _json(show)
    show.set_defaults(func=run_show)

    claim = commands.add_parser("claim", help="take a case on")
    claim.add_argument("ref")
    _by(claim)
    claim.add_argument("--take-over", action="store_true", help="claim a case another advisor has claimed")
    _json(claim)
    claim.set_defaults(func=run_claim)

    comment = commands.add_parser("comment", help="add a note to a case")
    comment.add_argument("ref")
    _by(comment)
    comment.add_argument("--text", required=True, help="the note, or - to read standard input")
    _json(comment)
    comment.set_defaults(func=run_comment)

    resolve = commands.add_parser("resolve", help="answer a case and close it")
    resolve.add_argument("ref")
    _by(resolve)
    resolve.add_argument("--answer", required=True, help="the advice given, or - to read standard input")
    resolve.add_argument("--precedent", action="store_true",
                         help="share this answer (identifying details taken out) with later similar questions")
    resolve.add_argument("--precedent-question", metavar="TEXT",
                         help="the question as the precedent and the training example show it "
                              "(default: the case's, anonymised)")
    rulings.add_ruling_options(resolve)
    _json(resolve)
    resolve.set_defaults(func=run_resolve)

    reopen = commands.add_parser("reopen", help="put a resolved case back in the queue")
    reopen.add_argument("ref")
    _by(reopen)
    reopen.add_argument("--reason", required=True)
    _json(reopen)
    reopen.set_defaults(func=run_reopen)

    export = commands.add_parser("export", help="every case as CSV (or JSON Lines with --json)")
    export.add_argument("--csv", action="store_true", help="CSV (the default)")
    export.add_argument("--json", action="store_true", help="JSON Lines instead of CSV")
    export.add_argument("--no-text", action="store_true", help="leave out the text and context of the cases")
    export.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    export.set_defaults(func=run_export)

    stats = commands.add_parser("stats", help="counts by status, topic and profile; median time to resolve")
    _json(stats)
    stats.set_defaults(func=run_stats)

    purge = commands.add_parser("purge", help="remove the text of cases resolved longer ago than the retention period")
    purge.add_argument("--days", type=bounded_int(1, MAX_DAYS), metavar="N", help="retention in days (default: $CANIPOST_RETENTION_DAYS)")
    _by(purge, required=False)
    _json(purge)
    purge.set_defaults(func=run_purge)

    precedents = commands.add_parser("precedents", help="list the answers shared as precedents")
    precedents.add_argument("--profile")
    _json(precedents)
    precedents.set_defaults(func=run_precedents)

    rulings.register(commands, _by, _json)


def _by(parser: argparse.ArgumentParser, required: bool = False) -> None:
    parser.add_argument("--by", metavar="NAME", required=required, help="the advisor acting (default: your login name)")


def _json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")


def open_store(settings: Settings | None = None) -> Store:
    return Store.open(settings or Settings.from_env())


def advisor(args: argparse.Namespace) -> Actor:
    name = (getattr(args, "by", None) or "").strip() or _login()
    return Actor(id=f"cli:{name}", name=name, is_advisor=True)


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _read(value: str, what: str) -> str:
    if value != "-":
        return value
    try:
        return sys.stdin.buffer.read().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"the {what} on standard input is not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


# -- commands ----------------------------------------------------------------------------------


def run_add(args: argparse.Namespace) -> int:
    from ..engine import Engine

    settings = Settings.from_env()
    text = _read(args.text, "text")
    profile = args.profile or settings.profile
    with open_store(settings) as store:
        engine = Engine.load(knowledge_dir(args), default_profile=profile)
        # The advisors' earlier answers take part, as they would for a question asked in Slack.
        engine.precedents.replace(store.precedents.list())
        answer = engine.answer(text, mode=args.mode, profile=profile, capacity=args.capacity)
        case = store.escalations.create(
            asker=Actor(args.asker, args.asker), text=text, answer=answer.to_dict(), mode=args.mode,
            profile=profile, capacity=args.capacity or answer.capacity, context=args.context,
            urgency=args.urgency, via=args.via, keep_personal_details=args.keep_personal_details,
            recorded_by=advisor(args),
        )
    if args.json:
        _print_json(case.to_dict())
    else:
        print(f"created {case.ref} for {args.asker}: canipost's answer was {case.verdict}"
              + (f" ({len(case.provisions)} provision(s) cited)" if case.provisions else ""))
        if case.personal_details == "masked":
            print("other people's contact details were masked in the stored text")
    return 0


def run_list(args: argparse.Namespace) -> int:
    actor = advisor(args)
    with open_store() as store:
        cases = store.escalations.list(actor, status=args.status, asker=args.asker, limit=args.limit)
        total = store.escalations.count(actor, status=args.status, asker=args.asker)
    if args.json:
        _print_json([c.to_dict() for c in cases])
        return 0
    if not cases:
        print(f"no {args.status + ' ' if args.status != 'all' else ''}cases")
        return 0
    print(f"{'REF':<10} {'STATUS':<9} {'CREATED':<16} {'URGENCY':<8} {'VERDICT':<15} {'ASKER':<16} {'ASSIGNEE':<14} TEXT")
    for case in cases:
        text = " ".join((case.text or "(text removed)").split())
        print(f"{case.ref:<10} {case.status:<9} {_when(case.created_at):<16} {case.urgency:<8} {case.verdict or '-':<15} "
              f"{_cut(case.asker_name or case.asker_id, 16):<16} {_cut(case.assignee_name or '', 14):<14} {_cut(text, 40)}")
    print(f"{len(cases)} of {total} case(s)" + (f" ({args.status})" if args.status != "all" else ""))
    return 0


def run_show(args: argparse.Namespace) -> int:
    actor = advisor(args)
    with open_store() as store:
        case = store.escalations.get(args.ref, actor)
        trail = store.escalations.audit(case.ref, actor)
    if args.json:
        _print_json({**case.to_dict(), "audit": [entry.to_dict() for entry in trail]})
        return 0
    print(describe(case))
    print("\nAudit trail:")
    for entry in trail:
        print(f"  {_when(entry.at)}  {entry.action:<20} {entry.actor_name or entry.actor_id}"
              + (f"  ({entry.detail})" if entry.detail else ""))
    return 0


def describe(case: Escalation) -> str:
    """A case as an advisor reads it."""
    wrap = lambda text, indent="  ": textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent)  # noqa: E731
    asker = case.asker_name or case.asker_id
    if case.asker_name and case.asker_name != case.asker_id:
        asker += f" ({case.asker_id})"
    lines = [
        f"{case.ref}  {case.status.upper()}" + (f", claimed by {case.assignee_name or case.assignee_id}"
                                               if case.status == "claimed" else ""),
        f"Asked by:  {asker}, {_when(case.created_at)} via {case.via}"
        + (f" in {case.channel}" if case.channel else ""),
        f"Profile:   {case.profile}, {case.mode or 'ask'}, as {case.capacity or 'personal'}; urgency {case.urgency}",
        f"canipost:  {case.verdict or 'no answer'}" + ("; recommended escalation" if case.escalate else ""),
    ]
    if case.summary:
        lines.append(wrap(case.summary))
    lines += ["", "Text:" + (" (other people's contact details masked)" if case.personal_details == "masked" else "")]
    if case.text is None:
        lines.append(f"  (removed on {_when(case.purged_at)} under the retention policy)")
    else:
        lines += [wrap(paragraph) for paragraph in case.text.splitlines() if paragraph.strip()]
    if case.context:
        lines += ["", "Context:", wrap(case.context)]
    if case.provisions:
        lines += ["", "Provisions cited:"]
        lines += [f"  {n}. {p['id']}" + (f" [{p['effect']}]" if p.get("effect") else "")
                  + (f"  ({', '.join(p['topics'])})" if p.get("topics") else "") for n, p in enumerate(case.provisions, 1)]
    if case.comments:
        lines += ["", "Comments:"]
        for comment in case.comments:
            lines.append(f"  {_when(comment.at)}  {comment.author_name or comment.author_id}:")
            lines.append(wrap(comment.text if comment.text is not None else "(removed under the retention policy)", "    "))
    if case.resolution:
        lines += ["", f"Answer ({case.assignee_name or case.assignee_id}, {_when(case.resolved_at)})"
                  + (", shared as a precedent:" if case.precedent else ":"), wrap(case.resolution)]
    if case.ruling:
        ruling = case.ruling
        lines += ["", "Ruling: " + rulings.ruling_line(case).removeprefix("ruling: ")]
        if ruling["topics"] or ruling["provisions"]:
            lines.append(wrap(f"topics: {', '.join(ruling['topics']) or '-'}; "
                              f"provisions: {', '.join(ruling['provisions']) or '-'}"))
    return "\n".join(lines)


def _transition_output(args: argparse.Namespace, case: Escalation, message: str, note: str | None = None) -> int:
    if args.json:
        _print_json(case.to_dict())
        if note:
            print(note, file=sys.stderr)
    else:
        print(message + (f"\n{note}" if note else ""))
    return 0


def _tell_slack(case: Escalation, resolved: bool = False) -> str | None:
    """Bring Slack up to date with a case that came from there; a line for the advisor, if any."""
    if case.via != "slack":
        return None
    settings = Settings.from_env()
    asker_waits = resolved and is_slack_user(case.asker_id)
    if not settings.slack_bot_token:
        return ("SLACK_BOT_TOKEN is not set here, so Slack was not told"
                + (": please send the asker the answer yourself." if asker_waits else "."))
    # Slack's libraries load only when there is something to tell it.
    from ..slack.app import make_client
    from ..slack.notify import refresh_notice, tell_asker

    client = make_client(settings)
    lines = []
    try:
        refresh_notice(client, case)
    except Exception as exc:  # noqa: BLE001 - the case is saved; the notice catches up on its next click
        lines.append(f"Slack's notice for {case.ref} was not updated ({_slack_error(exc)}).")
    if resolved:
        try:
            if tell_asker(client, case):
                lines.append("The asker was sent the answer in Slack.")
        except Exception as exc:  # noqa: BLE001 - the answer is saved; say so, and who must pass it on
            lines.append(f"The asker could not be sent the answer in Slack ({_slack_error(exc)}): "
                         "please send it to them yourself.")
    return "\n".join(lines) or None


def _slack_error(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    return (response.get("error") if response is not None else None) or type(exc).__name__


def run_claim(args: argparse.Namespace) -> int:
    with open_store() as store:
        case = store.escalations.claim(args.ref, advisor(args), take_over=args.take_over)
    return _transition_output(args, case, f"{case.ref} claimed by {case.assignee_name}", _tell_slack(case))


def run_comment(args: argparse.Namespace) -> int:
    with open_store() as store:
        case = store.escalations.comment(args.ref, advisor(args), _read(args.text, "comment"))
    return _transition_output(args, case, f"comment added to {case.ref}")


def run_resolve(args: argparse.Namespace) -> int:
    if args.precedent_question and not (args.precedent or args.learn):
        raise InputError("--precedent-question only makes sense with --precedent or --learn")
    actor = advisor(args)
    with open_store() as store:
        ruling = rulings.ruling_from_args(args, store, actor)
        case = store.escalations.resolve(args.ref, actor, _read(args.answer, "answer"), precedent=args.precedent,
                                         precedent_question=args.precedent_question, ruling=ruling)
    return _transition_output(args, case, f"{case.ref} resolved by {case.assignee_name}"
                              + (" and shared as a precedent" if case.precedent else "")
                              + f"\n{rulings.ruling_line(case)}", _tell_slack(case, resolved=True))


def run_reopen(args: argparse.Namespace) -> int:
    with open_store() as store:
        case = store.escalations.reopen(args.ref, advisor(args), args.reason)
    return _transition_output(args, case, f"{case.ref} reopened", _tell_slack(case))


def run_export(args: argparse.Namespace) -> int:
    if args.csv and args.json:
        raise InputError("choose --csv or --json, not both")
    with open_store() as store:
        export = store.escalations.export_jsonl if args.json else store.escalations.export_csv
        if not args.output:
            export(sys.stdout, advisor(args), include_text=not args.no_text)
            return 0
        with whole_file(Path(args.output)) as out:
            count = export(out, advisor(args), include_text=not args.no_text)
    print(f"exported {count} case(s) to {args.output}", file=sys.stderr)
    return 0


@contextlib.contextmanager
def whole_file(path: Path) -> Iterator[TextIO]:
    """A file written whole or not at all: written beside ``path``, then renamed over it. A full
    disk midway leaves any earlier file at ``path`` as it was, and no half-written one."""
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def run_stats(args: argparse.Namespace) -> int:
    with open_store() as store:
        figures = store.escalations.stats(advisor(args))
    if args.json:
        _print_json(figures)
        return 0
    status = ", ".join(f"{n} {s}" for s, n in figures["by_status"].items())
    lines = [f"cases: {figures['total']} ({status})"]
    median = figures["median_hours_to_resolve"]
    lines.append("median time to resolve: " + (f"{_duration(median)} (over {figures['resolved']} resolved)"
                                                if median is not None else "none resolved yet"))
    if figures["oldest_open"]:
        oldest = figures["oldest_open"]
        lines.append(f"oldest waiting: {oldest['ref']}, since {_when(oldest['created_at'])}")
    lines.append(f"precedents shared: {figures['precedents']}")
    if figures["agreement"]["rulings"]:
        lines.append("agreement with the rulings: " + rulings.describe_agreement(figures["agreement"])[-1]
                     .removeprefix("total: ") + " (canipost escalations agreement)")
    for title, key in (("by profile", "by_profile"), ("by verdict", "by_verdict"), ("by way in", "by_via"),
                       ("by topic", "by_topic")):
        if figures[key]:
            lines.append(f"{title}:")
            lines += [f"  {name:<26} {count:>6}" for name, count in figures[key].items()]
    print("\n".join(lines))
    return 0


def run_purge(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    days = args.days if args.days is not None else settings.retention_days
    with open_store(settings) as store:
        refs = store.escalations.purge(days, actor=advisor(args))
        answers = store.answers.purge_expired(settings.answer_ttl_days)
        events = store.events.purge()
        store.outbox.purge()
    if args.json:
        _print_json({"purged": refs, "retention_days": days, "expired_answers": answers, "old_events": events})
        return 0
    if refs:
        print(f"removed the text of {len(refs)} case(s) resolved more than {days} days ago: {', '.join(refs)}")
    else:
        print(f"no resolved case older than {days} days still had its text")
    print(f"deleted {answers} answer(s) older than {settings.answer_ttl_days} days from the answer log")
    return 0


def run_precedents(args: argparse.Namespace) -> int:
    with open_store() as store:
        found = store.precedents.list(args.profile)
    if args.json:
        _print_json(found)
        return 0
    if not found:
        print("no precedents yet: resolve a case with --precedent to share its answer")
    for precedent in found:
        print(f"{precedent['ref']}  {precedent['date']}  {precedent['profile']}")
        print(textwrap.fill(f"Q: {precedent['question']}", WIDTH, initial_indent="  ", subsequent_indent="     "))
        print(textwrap.fill(f"A: {precedent['answer']}", WIDTH, initial_indent="  ", subsequent_indent="     "))
    return 0


# -- formatting --------------------------------------------------------------------------------


def _when(stamp: str | None) -> str:
    """``2024-05-01 09:30`` in UTC, the way the file stores it, minus the seconds."""
    return stamp[:16].replace("T", " ") if stamp else "-"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _duration(hours: float) -> str:
    if hours < 1:
        return f"{round(hours * 60)} minutes"
    if hours < 48:
        return f"{hours:.1f} hours"
    return f"{hours / 24:.1f} days"
