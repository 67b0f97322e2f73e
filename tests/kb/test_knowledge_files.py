"""Issue 12, item 3: a knowledge base reads only its own files. A ``seed`` outside sources/ is
refused (else whether a base loads would reveal whether a guessed quote is in any readable file,
the process's environment included); a FIFO or other non-regular file is refused without
waiting; text that is not UTF-8 is reported by line."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from canipost.errors import KnowledgeErrors
from canipost.kb import load_knowledge

SECRET_IN_ENVIRONMENT = "f00dfeedcafe1234"


def problems(root) -> list[str]:
    with pytest.raises(KnowledgeErrors) as caught:
        load_knowledge(root)
    return [str(e) for e in caught.value.errors]


@pytest.mark.parametrize("seed", ["../../outside.txt", "/proc/self/environ", "sub/../../outside.txt", "."])
def test_a_seed_outside_sources_is_refused(mini_kb, seed):
    (mini_kb.root.parent / "outside.txt").write_text("Staff must not post protected material.\n")
    mini_kb.edit("au/example.yaml", "seed: example.txt", f"seed: {seed!r}")
    found = problems(mini_kb.root)
    assert any("source.seed" in p and "not a file in sources/" in p for p in found), found


def test_a_seed_symlinked_out_of_sources_is_refused(mini_kb):
    outside = mini_kb.root.parent / "outside.txt"
    outside.write_text("Staff must not post protected material. Staff should say their views are their own.\n")
    (mini_kb.root / "sources" / "link.txt").symlink_to(outside)
    mini_kb.edit("au/example.yaml", "seed: example.txt", "seed: link.txt")
    assert any("not a file in sources/" in p for p in problems(mini_kb.root))


def test_the_environment_cannot_be_probed_through_a_running_servers_reload(mini_kb):
    """The attack as reported: a quote guessed from the signing secret, checked against
    /proc/self/environ. Whatever the guess, the base is refused the same way."""
    mini_kb.edit("au/example.yaml", "seed: example.txt", "seed: /proc/self/environ")
    mini_kb.edit("au/example.yaml", "quote: Staff must not post protected material.",
                 f"quote: CANIPOST_PROBE={SECRET_IN_ENVIRONMENT}")
    env = {**os.environ, "CANIPOST_PROBE": SECRET_IN_ENVIRONMENT}
    result = subprocess.run([sys.executable, "-m", "canipost", "kb", "validate", "--knowledge", str(mini_kb.root)],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "not a file in sources/" in result.stderr


@pytest.mark.parametrize("where", ["au/fifo.yaml", "sources/example.txt", "profiles.yaml"])
def test_a_fifo_is_refused_without_waiting(mini_kb, where):
    path = mini_kb.root / where
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "canipost", "kb", "validate", "--knowledge", str(mini_kb.root)],
                            capture_output=True, text=True, timeout=30)
    assert time.monotonic() - started < 20
    assert result.returncode == 1 and "not a regular file" in result.stderr, result.stderr
    assert where.split("/")[-1] in result.stderr


def test_text_that_is_not_utf8_is_reported_by_line(mini_kb):
    path = mini_kb.root / "au" / "example.yaml"
    lines = path.read_bytes().splitlines(keepends=True)
    lines[6] = lines[6].replace(b"\n", b" caf\xe9\n")
    path.write_bytes(b"".join(lines))
    found = problems(mini_kb.root)
    assert any(p.endswith("example.yaml:7: not UTF-8 text (invalid continuation byte)") for p in found), found


def test_a_source_text_that_is_not_utf8_is_reported_by_line(mini_kb):
    (mini_kb.root / "sources" / "example.txt").write_bytes(b"line one\nline two\n\xff\xfe line three\n")
    found = problems(mini_kb.root)
    assert any(p.startswith("sources/example.txt:3: not UTF-8") for p in found), found
