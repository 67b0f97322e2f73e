"""``canipost ask`` and ``canipost check``: answer one question or draft, or a batch of them."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from typing import Any, Iterator, TextIO

from ..config import Settings
from ..contract import CAPACITIES, MODES
from ..errors import CanipostError, InputError
from ..spreadsheet import spreadsheet_cell
from .kb import add_knowledge_option, knowledge_dir

CSV_COLUMNS = ("verdict", "escalate", "summary", "provisions", "topics", "findings", "suggestion")
REQUEST_FIELDS = ("mode", "profile", "as")


def register(subparsers) -> None:
    for mode, help_text in (("check", "check a draft post"), ("ask", "answer a question about posting")):
        parser = subparsers.add_parser(mode, help=help_text, description=help_text.capitalize() + ".")
        parser.add_argument("text", nargs="*", metavar="TEXT", help="the text, or - to read standard input")
        parser.add_argument("--profile", help="organisation profile (default: $CANIPOST_PROFILE, else au-aps)")
        parser.add_argument("--as", dest="capacity", choices=CAPACITIES, help="capacity you write in (default: personal)")
        parser.add_argument("--json", action="store_true", help="print the JSON answer")
        parser.add_argument("--batch", metavar="FILE", help="answer every line of a JSON Lines file, or every row of "
                                                            "a CSV file with a text column (- for standard input)")
        add_knowledge_option(parser)
        parser.set_defaults(func=run, mode=mode)


def run(args: argparse.Namespace) -> int:
    from ..engine import Engine

    settings = Settings.from_env()
    if args.batch and args.text:
        raise InputError("give either TEXT or --batch FILE, not both")
    if not args.batch and not args.text:
        raise InputError(f"nothing to {args.mode}: give the text, or - to read it from standard input")
    engine = Engine.load(knowledge_dir(args), default_profile=args.profile or settings.profile)
    use_precedents(engine, settings)
    if args.batch:
        return run_batch(engine, args)
    text = read_stdin() if args.text == ["-"] else " ".join(args.text)
    answer = engine.answer(text, mode=args.mode, profile=args.profile, capacity=args.capacity)
    print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2) if args.json else answer.render_text())
    return 0


def use_precedents(engine, settings: Settings) -> None:
    """Show advisors' precedents beside the provisions, when this machine has the escalations database.

    The database is only read, never created, so answering offline leaves nothing behind.
    """
    if not settings.db_path.exists():
        return
    from ..store import Store, StoreError

    try:
        with Store.open(settings) as store:
            engine.precedents.replace(store.precedents.list())
    except (StoreError, OSError) as exc:
        sys.stderr.write(f"canipost: precedents not shown ({exc})\n")


def read_stdin() -> str:
    try:
        return sys.stdin.buffer.read().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"standard input is not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _read_batch(path: str) -> bytes:
    try:
        if path == "-":
            return sys.stdin.buffer.read()
        with open(path, "rb") as source:
            return source.read()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def decode_lines(data: bytes, name: str) -> str:
    """``data`` as text; a byte-order mark (Excel's "CSV UTF-8") is dropped, and text that is not
    UTF-8 is refused naming the line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InputError(f"{name} is not UTF-8 text: line {line} ({exc.reason})") from None


def run_batch(engine, args: argparse.Namespace) -> int:
    """One answer per request, in order; a bad request gets an error answer and the rest still run."""
    data = _read_batch(args.batch)
    if args.batch.lower().endswith(".csv"):
        source = io.StringIO(decode_lines(data, args.batch), newline="")
        return _csv_batch(engine, args, source)
    for answer in _jsonl_batch(engine, args, data.removeprefix(b"\xef\xbb\xbf")):
        sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
    return 0


def answer_request(engine, request: Any, default_mode: str, default_capacity: str | None) -> dict:
    """The JSON answer to one batch request, or ``{"error": ...}`` saying why there is none."""
    if not isinstance(request, dict):
        return {"error": "expected a JSON object with a \"text\" field"}
    text = request.get("text")
    if not isinstance(text, str):
        return {"error": "missing \"text\" (a string)"}
    wrong = [f for f in REQUEST_FIELDS if request.get(f) is not None and not isinstance(request.get(f), str)]
    if wrong:
        return {"error": f"\"{wrong[0]}\" must be a string"}
    mode = request.get("mode") or default_mode
    if mode not in MODES:
        return {"error": f"unknown mode {mode!r} (known: {', '.join(MODES)})"}
    try:
        answer = engine.answer(text, mode=mode, profile=request.get("profile") or None,
                               capacity=request.get("as") or default_capacity)
    except CanipostError as exc:
        return {"error": str(exc)}
    return answer.to_dict()


def _jsonl_batch(engine, args: argparse.Namespace, data: bytes) -> Iterator[dict]:
    for number, raw in enumerate(data.splitlines(), 1):
        try:
            line = raw.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            yield {"error": f"line {number}: not UTF-8 text ({exc.reason})"}
            continue
        if not line:
            yield {"error": f"line {number}: empty line"}
            continue
        try:
            request = json.loads(line)
        except json.JSONDecodeError as exc:
            yield {"error": f"line {number}: not valid JSON ({exc.msg})"}
            continue
        except RecursionError:
            yield {"error": f"line {number}: not valid JSON (nested too deeply)"}
            continue
        answer = answer_request(engine, request, args.mode, args.capacity)
        if "error" in answer:
            answer["error"] = f"line {number}: {answer['error']}"
        yield answer


def _csv_rows(reader: csv.DictReader) -> Iterator[tuple[dict, str | None]]:
    """Each row of a CSV file, with what is wrong with it (None for a good row): a row with more
    or fewer fields than the header, or a field too large to read, is reported, not fatal."""
    width = len(reader.fieldnames or ())
    number = 0
    while True:
        number += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield {}, f"row {number}: cannot be read as CSV ({exc})"
            continue
        extra = row.pop(None, None)
        if extra is not None or None in row.values():
            fields = width + len(extra) if extra is not None else sum(v is not None for v in row.values())
            yield {k: v or "" for k, v in row.items()}, f"row {number} has {fields} field(s) where the header has {width}"
        else:
            yield row, None


def _csv_batch(engine, args: argparse.Namespace, source: TextIO) -> int:
    """A content calendar: every row with a ``text`` column, answered, the answer's columns added."""
    try:
        reader = csv.DictReader(source)
        fieldnames = reader.fieldnames
    except csv.Error as exc:
        raise InputError(f"{args.batch} cannot be read as CSV ({exc})") from None
    if not fieldnames or "text" not in fieldnames:
        raise InputError(f"{args.batch} has no 'text' column (columns: {', '.join(fieldnames or []) or 'none'})")
    if args.json:
        for row, problem in _csv_rows(reader):
            answer = {"error": problem} if problem else answer_request(engine, row, args.mode, args.capacity)
            sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
        return 0
    extra = [c for c in CSV_COLUMNS if c not in fieldnames] + ["error"]
    # RFC 4180 line ends: a cell holding a lone carriage return is then quoted, not a new row.
    writer = csv.DictWriter(sys.stdout, fieldnames=list(fieldnames) + extra, lineterminator="\r\n")
    writer.writeheader()
    for row, problem in _csv_rows(reader):
        answer = {"error": problem} if problem else answer_request(engine, row, args.mode, args.capacity)
        out = dict(row)
        if "error" in answer:
            out["error"] = answer["error"]
        else:
            out.update({
                "verdict": answer["verdict"],
                "escalate": "yes" if answer["escalate"] else "no",
                "summary": answer["summary"],
                "provisions": "; ".join(p["id"] for p in answer["provisions"]),
                "topics": "; ".join(dict.fromkeys(t for p in answer["provisions"] for t in p["topics"])),
                "findings": "; ".join(f"{f['kind']}: {f['text']}" for f in answer["findings"]),
                "suggestion": answer.get("suggestion") or "",
            })
        # The output is opened in spreadsheets: no cell may start a formula.
        writer.writerow({k: spreadsheet_cell(v) for k, v in out.items()})
    return 0
