"""Issue 12: a fuzz test of the command line. Hypothesis (fixed seed, 600 examples) builds bad
invocations of every command and every flag, read from the parser itself, with bad values, bad
files, bad standard input and bad settings; none may end in a traceback or an exit status other
than 0, 1 or 2.

It calls ``canipost.cli.main`` in this process (the console script's own entry point) so that
hundreds of invocations take a minute, not ten; a few run as real processes in the other tests.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import traceback
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from canipost.cli import build_parser, main

EXAMPLES = 600


def leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], list]]:
    """Every runnable command (its words) with its options, as the parser defines them."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += leaves(sub, path + (name,))
            return found
    return [(path, [a for a in parser._actions if not isinstance(a, argparse._HelpAction)])]


COMMANDS = leaves(build_parser())


@pytest.fixture(scope="module")
def workplace(tmp_path_factory, mini_kb_module):
    """Files to hand the commands: missing, a directory, binary, not UTF-8, with a byte-order
    mark, ragged and oversized CSV, malformed JSON Lines and YAML, and a knowledge base."""
    root = tmp_path_factory.mktemp("fuzz")
    files = {
        "binary.csv": bytes(range(256)) * 4,
        "latin1.jsonl": b'{"text": "caf\xe9"}\n',
        "bom.csv": "\ufefftext,date\r\nHappy birthday mum!,2026\r\n".encode(),
        "ragged.csv": b"text,a\nhello,1,2,3\nalone\n=1+1,\"unterminated\n",
        "huge.csv": b"text\n\"" + b"y" * 200_000 + b"\"\n",
        "bad.jsonl": b'{"text": "x", "profile": [1]}\n[[[[\n{"text": 5}\n"just a string"\n{"text": "ok", "as": {}}\n',
        "deep.jsonl": b"[" * 50_000 + b"\n",
        "empty.yaml": b"",
        "bad.yaml": b"- id: [unclosed\n  text: {\n",
        "cases.yaml": b"- id: x\n  text: 3\n  verdict: maybe\n- not a mapping\n",
        "notext.csv": b"a,b\n1,2\n",
    }
    for name, data in files.items():
        (root / name).write_bytes(data)
    (root / "adir.jsonl").mkdir()
    return {"root": root, "paths": [str(root / n) for n in (*files, "adir.jsonl", "missing.csv")]
            + ["/dev/null", "/proc/self/environ", "-", str(mini_kb_module)], "kb": str(mini_kb_module)}


@pytest.fixture(scope="module")
def mini_kb_module(tmp_path_factory):
    from tests.conftest import MiniKB

    return MiniKB(tmp_path_factory.mktemp("fuzz-kb") / "knowledge").root


NUMBERS = ["0", "-1", "1", "99999999999999999999", "1e309", "nan", "-0", "0x10", "１２", " 7 "]
WORDS = ["", " ", "-", "--", "--json", "au-aps", "xx-none", "CP-00001", "cp-0", "CP-99999999999999",
         "official", "spy", "\u202e\u200b", "=1+1", "x" * 41_000, "é" * 10, "\udcff", "../../etc/passwd"]


def value_strategy(paths: list[str]):
    text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60)
    return st.one_of(st.sampled_from(NUMBERS), st.sampled_from(WORDS), st.sampled_from(paths), text)


def invocation(paths: list[str], small_kb: str):
    values = value_strategy(paths)

    @st.composite
    def build(draw):
        words, actions = draw(st.sampled_from(COMMANDS))
        argv = list(words)
        optional = [a for a in actions if a.option_strings and not a.required]
        chosen = [a for a in actions if a.required or not a.option_strings]
        chosen += draw(st.lists(st.sampled_from(optional), max_size=4)) if optional else []
        for action in chosen:
            # Mostly values the parser accepts, so that the command itself runs on bad input.
            value = (st.sampled_from(list(action.choices)) if action.choices and draw(st.integers(0, 3))
                     else values)
            if action.option_strings:
                argv.append(draw(st.sampled_from(action.option_strings)))
                if action.nargs != 0:
                    argv += draw(st.lists(value, min_size=1, max_size=1 if action.nargs in (None, "?") else 3))
            else:
                least = 1 if action.nargs in (None, "+") else 0
                argv += draw(st.lists(value, min_size=least, max_size=1 if action.nargs is None else 3))
        if not draw(st.integers(0, 9)):
            argv.insert(draw(st.integers(0, len(argv))), draw(values))
        if tuple(words) == ("kb", "train"):
            argv += ["--knowledge", small_kb]  # a retrain that runs must never rewrite the shipped model
        stdin = draw(st.one_of(st.binary(max_size=200), st.sampled_from([b"", b"\xff\xfe", b"{\"text\": 1}\n"])))
        env = draw(st.dictionaries(st.sampled_from(["CANIPOST_PROFILE", "CANIPOST_RETENTION_DAYS", "PORT",
                                                    "CANIPOST_LOG_LEVEL", "CANIPOST_ANSWER_TTL_DAYS",
                                                    "SLACK_API_URL", "CANIPOST_KNOWLEDGE"]),
                                   st.one_of(st.sampled_from(NUMBERS + WORDS[:12]), st.sampled_from(paths)),
                                   max_size=2))
        return argv, stdin, env

    return build()


@contextlib.contextmanager
def as_a_process(stdin: bytes, env: dict[str, str], cwd: Path):
    """Standard streams, environment and working directory as a fresh process would have them."""
    saved = sys.stdin, sys.stdout, sys.stderr, dict(os.environ), os.getcwd()
    out, err = io.BytesIO(), io.BytesIO()
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    sys.stderr = io.TextIOWrapper(err, encoding="utf-8", errors="backslashreplace", write_through=True)
    for name in [n for n in os.environ if n.startswith(("CANIPOST_", "SLACK_", "PORT"))]:
        del os.environ[name]
    os.environ.update({"CANIPOST_DATA_DIR": str(cwd / "data"), **env})
    os.chdir(cwd)
    try:
        yield out, err
    finally:
        if sys.stdout not in (saved[1],):
            with contextlib.suppress(Exception):
                sys.stdout.close()
        sys.stdin, sys.stdout, sys.stderr = saved[:3]
        os.environ.clear()
        os.environ.update(saved[3])
        os.chdir(saved[4])


@pytest.mark.timeout(1500)  # hundreds of invocations, each loading the knowledge base and its model
def test_no_bad_command_line_ends_in_a_traceback(workplace):
    root = workplace["root"]

    @seed(20261124)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), print_blob=True)
    @given(invocation(workplace["paths"], workplace["kb"]))
    def run(case):
        argv, stdin, env = case
        with as_a_process(stdin, env, root) as (out, err):
            try:
                status = main(argv)
            except SystemExit as exit_:
                status = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 2)
            except BaseException:  # noqa: BLE001 - exactly what must never happen
                pytest.fail(f"canipost {argv!r} (env {env!r}) raised:\n{traceback.format_exc()}")
            stderr = err.getvalue().decode("utf-8", "replace")
        assert status in (0, 1, 2), (argv, env, status, stderr)
        assert "Traceback" not in stderr, (argv, env, stderr)

    run()
