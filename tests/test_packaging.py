"""The project installs as documented: every package is listed, and CI runs the README's test command."""

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_every_package_under_bot_is_listed_in_pyproject():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {"canipost" + ("." + ".".join(p.parent.relative_to(REPO / "bot").parts) if p.parent != REPO / "bot" else "")
             for p in (REPO / "bot").rglob("__init__.py")}
    assert found <= listed, f"add to pyproject.toml packages: {sorted(found - listed)}"


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    commands = re.findall(r"^python3 -m venv .*$", readme, flags=re.MULTILINE)
    assert len(commands) >= 2, "the quick start has two commands, each starting with python3 -m venv"
    test_command = next(c for c in commands if "pytest" in c)
    assert test_command in ci.splitlines()
