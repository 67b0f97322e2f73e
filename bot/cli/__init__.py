"""The ``canipost`` command line: a thin layer over the engine, the knowledge base and the store.

Each command group lives in its own module with a ``register(subparsers)`` function.
Exit status: 0 when the command did its job (whatever the verdict), 1 when a check it ran
found problems (``kb validate``, ``doctor``, ``eval`` below its floors), 2 for bad usage or
unreadable input, always with a one-line message on standard error, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from .. import __version__
from ..errors import CanipostError, KnowledgeErrors


class Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: {message} (try: {self.prog} --help)\n")
        raise SystemExit(2)


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
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KnowledgeErrors as exc:
        sys.stderr.write(f"canipost: the knowledge base has {len(exc.errors)} problem(s):\n{exc}\n")
        return 2
    except CanipostError as exc:
        sys.stderr.write(f"canipost: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("canipost: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
