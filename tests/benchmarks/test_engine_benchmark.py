"""The engine benchmark's own command line: a bad count is a usage error, not a traceback."""

import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "engine.py"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BENCHMARK), *args], capture_output=True, text=True, timeout=120)


def test_a_negative_synthetic_base_is_a_usage_error():
    done = run("--synthetic", "-1")
    assert done.returncode == 2
    assert "--synthetic at least 0" in done.stderr
    assert "Traceback" not in done.stderr


def test_no_answers_is_a_usage_error():
    done = run("--answers", "0")
    assert done.returncode == 2
    assert "--answers is at least 1" in done.stderr
