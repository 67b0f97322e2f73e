"""The ``canipost`` command line: a thin layer over the engine, the knowledge base and the store.

Each command group lives in its own module with a ``register(subparsers)`` function.
Exit status: 0 when the command did its job (whatever the verdict), 1 when a check it ran
found problems (``kb validate``, ``doctor``, ``eval`` below its floors), 2 for bad usage or
unreadable input, always with a one-line message on standard error, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from typing import Callable, Sequence

from .. import __version__
from ..config import secret_values
from ..errors import CanipostError, KnowledgeErrors
from ..redaction import scrub


class Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: {message} (try: {self.prog} --help)\n")
        raise SystemExit(2)


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``, else a usage error (a huge
    number would otherwise overflow SQLite or a date further down, with a traceback)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text[:40]!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:,} and {high:,}, got {text[:40]}")
        return value

    parse.__name__ = "whole number"
    return parse


def build_parser() -> Parser:
    from . import answers, evaluate, kb

    parser = Parser(prog="canipost", description="Can I post this? Answers from your code of conduct, with citations.")
    parser.add_argument("--version", action="version", version=f"canipost {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    subparsers.required = True
    for module in (answers, kb, evaluate, *_optional_modules()):
        module.register(subparsers)
    return parser


def _optional_modules() -> list:
    """Command groups whose modules exist in this build (each registers itself)."""
    import importlib

    found = []
    for name in ("escalations", "feedback", "serve", "doctor"):
        try:
            found.append(importlib.import_module(f"{__name__}.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    return found


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Bytes that are not UTF-8 reach Python as lone surrogates, which no file or database takes.
    for arg in argv:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return fail(f"an argument is not UTF-8 text: {ascii(arg)[:60]}")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status = int(args.func(args) or 0)
        # Flushed here, where a full disk can still be reported, rather than at exit.
        sys.stdout.flush()
        return status
    except KnowledgeErrors as exc:
        return fail(f"the knowledge base has {len(exc.errors)} problem(s):\n{exc}")
    except CanipostError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        sys.stderr.write("canipost: interrupted\n")
        return 130
    except BrokenPipeError:
        _drop_stdout()
        return 0
    except OSError as exc:
        # A full disk, or an output that went away: say so in one line. Whatever was being
        # saved was not (database writes are transactions; exports replace files only when whole).
        _drop_stdout()
        return fail(f"could not write: {exc.strerror or exc}" + (f" ({exc.filename})" if exc.filename else ""))
    except sqlite3.Error as exc:
        return fail(f"the escalations database failed: {exc}; nothing was saved")


def fail(message: str) -> int:
    """One message on standard error, with any secret in it taken out; exit status 2."""
    sys.stderr.write(f"canipost: {scrub(message, secret_values(os.environ))}\n")
    return 2


def _drop_stdout() -> None:
    # What could not be written stays unwritten: no second failure when Python exits.
    try:
        sys.stdout = open(os.devnull, "w")
    except OSError:
        pass
