"""Shared fixtures: the bundled knowledge base and engine, a small knowledge base to break,
and a way to run the real ``canipost`` command."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from canipost.engine import Engine
from canipost.kb import bundled_knowledge_dir, load_knowledge

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def kb():
    return load_knowledge()


@pytest.fixture(scope="session")
def engine(kb):
    """The engine as shipped: the rules and the trained judgement."""
    from canipost.model.judge import Judge

    return Engine(kb, judge=Judge.load(kb.root, kb.vocabulary.stopwords))


@pytest.fixture(scope="session")
def knowledge_dir():
    return bundled_knowledge_dir()


SOURCE_TEXT = "Staff must not post protected material. Staff should say their views are their own.\n"

MINI_SOURCE = """\
source:
  issuer: Example Commission
  document: Example Social Media Policy
  year: 2020
  jurisdiction: AU
  seed: example.txt

provisions:
  - id: ex.policy.protected
    title: No protected material
    citation: Section 1
    quote: Staff must not post protected material.
    summary: You may not post protected material.
    topics: [official-information]
    capacities: [official, professional, personal]
    effect: do-not-post
    triggers:
      - can I post protected material online
      - pattern: '\\bprotected material\\b'
  - id: ex.policy.disclaimer
    title: Say the views are your own
    citation: Section 2
    quote: Staff should say their views are their own.
    summary: Make clear you speak for yourself.
    topics: [identification]
    capacities: [personal]
    effect: caution
    triggers:
      - do I need a disclaimer saying views are my own
"""

MINI_PROFILES = """\
profiles:
  ex-base:
    name: Example Agency
    jurisdiction: AU
    sources: [au/example.yaml]
    contact:
      name: Example Ethics Team
      how: Email the ethics team.
  ex-child:
    name: Example Child Agency
    jurisdiction: AU
    extends: ex-base
    sources: []
"""


class MiniKB:
    """A tiny, valid knowledge base in a temporary directory, for tests to change and break."""

    def __init__(self, root: Path):
        self.root = root
        (root / "au").mkdir(parents=True)
        (root / "sources").mkdir()
        (root / "sources" / "example.txt").write_text(SOURCE_TEXT)
        self.write("au/example.yaml", MINI_SOURCE)
        self.write("profiles.yaml", MINI_PROFILES)

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.root / name
        text = path.read_text()
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new, 1))

    def line_of(self, name: str, needle: str) -> int:
        for number, line in enumerate((self.root / name).read_text().splitlines(), 1):
            if needle in line:
                return number
        raise AssertionError(f"{needle!r} not in {name}")


@pytest.fixture
def mini_kb(tmp_path) -> MiniKB:
    return MiniKB(tmp_path / "knowledge")


def run_cli(*args: str, input: str | None = None, env: dict | None = None, cwd: Path | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the installed ``canipost`` command, as a user would."""
    full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    return subprocess.run([sys.executable, "-m", "canipost", *args], input=input, capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=timeout)


@pytest.fixture
def cli(tmp_path):
    """``canipost`` run in an empty directory (no stray .env) with a private data directory."""
    def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
        env = {"CANIPOST_DATA_DIR": str(tmp_path / "data"), **kwargs.pop("env", {})}
        return run_cli(*args, env=env, cwd=kwargs.pop("cwd", tmp_path), **kwargs)
    return run


@pytest.fixture
def taught_kb(tmp_path) -> MiniKB:
    """The knowledge base of tests/teachable.py, trained (without rulings), with no database beside it."""
    from .teachable import teachable_kb

    kb = teachable_kb(tmp_path / "teachable" / "knowledge")
    trained = run_cli("kb", "train", "--knowledge", str(kb.root), env={"CANIPOST_DATA_DIR": str(tmp_path / "nodata")},
                      cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    return kb
