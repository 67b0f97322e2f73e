"""`canipost doctor` names each misconfiguration it knows of, says how to fix it, and never prints a secret.

Each test runs the real command in an empty directory (no stray .env) with a controlled
environment, a small valid knowledge base and, where Slack is involved, a local stand-in
for the Slack Web API.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

BOT_TOKEN = "xoxb-1111111111-2222222222-" + "Q7rT9vX2mK4pL8nB3cF6hJ1w"
SIGNING_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
APP_TOKEN = "xapp-1-A0123456789-3333333333-" + "9e8d7c6b5a4f3e2d1c0b"
SECRETS = (BOT_TOKEN, SIGNING_SECRET, APP_TOKEN)


def bot_scopes() -> list[str]:
    try:
        from canipost.slack.manifest import BOT_SCOPES
    except ImportError:
        return []
    return sorted(BOT_SCOPES)


class FakeSlack:
    """A stand-in for the Slack Web API: answers auth.test with the scopes it is told, records calls."""

    def __init__(self, scopes: list[str] | None = None, error: str | None = None):
        self.scopes = scopes
        self.error = error
        self.calls: list[tuple[str, str]] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                stand_in.calls.append((self.path, self.headers.get("Authorization", "")))
                if stand_in.error:
                    body = {"ok": False, "error": stand_in.error}
                else:
                    body = {"ok": True, "url": "https://example.slack.com/", "team": "Example Agency",
                            "user": "canipost", "team_id": "T0123", "user_id": "U0BOT", "bot_id": "B0BOT"}
                payload = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                if stand_in.scopes is not None and not stand_in.error:
                    self.send_header("x-oauth-scopes", ",".join(stand_in.scopes))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeSlack":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def doctor(tmp_path, mini_kb):
    """Run `canipost doctor` with a clean configuration, changed by keyword (None removes a variable)."""
    workdir = tmp_path / "work"
    workdir.mkdir()

    def run(*args: str, **changes: str | None) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CANIPOST_", "SLACK_"))}
        env.update({
            "HOME": str(tmp_path / "home"), "PYTHONIOENCODING": "utf-8",
            "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "CANIPOST_KNOWLEDGE": str(mini_kb.root), "CANIPOST_PROFILE": "ex-base",
            "CANIPOST_ADVISORS": "U012AB3CD,W0456EFGH", "CANIPOST_ADVISORS_CHANNEL": "C0789IJKL",
            "CANIPOST_DATA_DIR": str(tmp_path / "data"),
        })
        for name, value in changes.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        if "--offline" not in args and "SLACK_API_URL" not in changes:
            args = (*args, "--offline")
        result = subprocess.run([sys.executable, "-m", "canipost", "doctor", *args], env=env, cwd=workdir,
                                capture_output=True, text=True, timeout=120)
        output = result.stdout + result.stderr
        assert "Traceback" not in output, output
        for secret in SECRETS:
            assert secret not in output
            assert secret[-10:] not in output, "part of a secret was printed"
        return result

    return run


def lines_about(result: subprocess.CompletedProcess, subject: str, status: str = "PROBLEM") -> list[str]:
    """The check lines for ``subject`` with ``status``, plus their detail and fix lines."""
    lines = result.stdout.splitlines()
    found = []
    for i, line in enumerate(lines):
        words = line.split()
        if len(words) >= 2 and words[0] == status and words[1] == subject:
            found.append(line)
            for follow in lines[i + 1:]:
                if follow.split() and follow.split()[0] in ("OK", "NOTE", "PROBLEM"):
                    break
                found.append(follow)
    return found


def problem(result, subject: str) -> str:
    found = lines_about(result, subject)
    assert found, f"no PROBLEM for {subject}:\n{result.stdout}"
    assert result.returncode == 1, result.stdout
    return "\n".join(found)


# -- a clean configuration ------------------------------------------------------------------

def test_clean_configuration_passes(doctor):
    with FakeSlack(scopes=bot_scopes()) as slack:
        result = doctor(SLACK_API_URL=slack.url)
    assert result.returncode == 0, result.stdout
    assert "PROBLEM" not in result.stdout
    assert "No problems" in result.stdout
    for subject in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "CANIPOST_KNOWLEDGE", "CANIPOST_PROFILE",
                    "CANIPOST_ADVISORS", "CANIPOST_ADVISORS_CHANNEL", "database", "Slack"):
        assert lines_about(result, subject, "OK"), f"no OK for {subject}:\n{result.stdout}"
    assert [path for path, _ in slack.calls] == ["/api/auth.test"]
    assert slack.calls[0][1] == f"Bearer {BOT_TOKEN}"  # the token went to Slack, and only there


def test_offline_does_not_contact_slack_and_says_so(doctor):
    result = doctor("--offline")
    assert result.returncode == 0, result.stdout
    assert "--offline" in "\n".join(lines_about(result, "Slack", "NOTE"))


def test_json_output(doctor):
    result = doctor("--json", CANIPOST_ADVISORS=None)
    report = json.loads(result.stdout)
    assert result.returncode == 1 and report["ok"] is False and report["problems"] == 1
    (check,) = [c for c in report["checks"] if c["status"] == "problem"]
    assert check["subject"] == "CANIPOST_ADVISORS" and check["fix"]


# -- Slack credentials ------------------------------------------------------------------------

def test_missing_bot_token(doctor):
    text = problem(doctor(SLACK_BOT_TOKEN=None), "SLACK_BOT_TOKEN")
    assert "not set" in text and "fix:" in text and "OAuth & Permissions" in text


@pytest.mark.parametrize("token, says", [
    ("xoxp-1111111111-2222222222-abcdefabcdef", "user token"),
    ("xapp-1-A0123-3333333333-abcdefabcdef", "SLACK_APP_TOKEN"),
    ("xoxb-1111111111 2222222222-abcdef", "characters a token never has"),
    ("Bearer-something-else-entirely", "xoxb-"),
])
def test_malformed_bot_token(doctor, token, says):
    result = doctor(SLACK_BOT_TOKEN=token)
    text = problem(result, "SLACK_BOT_TOKEN")
    assert says in text
    assert token not in result.stdout


def test_missing_signing_secret(doctor):
    text = problem(doctor(SLACK_SIGNING_SECRET=None), "SLACK_SIGNING_SECRET")
    assert "not set" in text and "Signing Secret" in text


def test_missing_signing_secret_is_only_a_note_in_socket_mode(doctor):
    result = doctor(SLACK_SIGNING_SECRET=None, SLACK_APP_TOKEN=APP_TOKEN)
    assert result.returncode == 0, result.stdout
    assert "Socket Mode" in "\n".join(lines_about(result, "SLACK_SIGNING_SECRET", "NOTE"))


def test_signing_secret_that_is_not_hexadecimal(doctor):
    secret = "Zq9VerificationTokenLike1"
    result = doctor(SLACK_SIGNING_SECRET=secret)
    assert "hexadecimal" in problem(result, "SLACK_SIGNING_SECRET")
    assert secret not in result.stdout


def test_signing_secret_of_odd_length_is_a_note_not_a_problem(doctor):
    result = doctor(SLACK_SIGNING_SECRET=SIGNING_SECRET[:-2])
    assert result.returncode == 0, result.stdout
    assert "30 characters" in "\n".join(lines_about(result, "SLACK_SIGNING_SECRET", "NOTE"))


def test_bad_app_token(doctor):
    result = doctor(SLACK_APP_TOKEN="xoxb-1111111111-2222222222-notanapptoken")
    text = problem(result, "SLACK_APP_TOKEN")
    assert "xapp-" in text and "connections:write" in text


def test_app_token_means_socket_mode_and_none_means_http(doctor):
    socket_mode = doctor(SLACK_APP_TOKEN=APP_TOKEN)
    assert socket_mode.returncode == 0 and "Socket Mode" in "\n".join(lines_about(socket_mode, "SLACK_APP_TOKEN", "OK"))
    http = doctor()
    assert "HTTP mode" in "\n".join(lines_about(http, "SLACK_APP_TOKEN", "NOTE"))


def test_plain_http_web_api_off_this_machine(doctor):
    text = problem(doctor("--offline", SLACK_API_URL="http://slack-proxy.example.org/api/"), "SLACK_API_URL")
    assert "unencrypted" in text and "https://" in text


# -- knowledge base and profile ------------------------------------------------------------------

def test_unknown_profile(doctor):
    text = problem(doctor(CANIPOST_PROFILE="ex-bsae"), "CANIPOST_PROFILE")
    assert "unknown profile 'ex-bsae'" in text and "did you mean ex-base" in text
    assert "ex-base, ex-child" in text


def test_broken_knowledge_base_copy_shows_file_and_line(doctor, mini_kb):
    mini_kb.edit("au/example.yaml", "topics: [identification]", "topics: [identificaton]")
    line = mini_kb.line_of("au/example.yaml", "identificaton")
    text = problem(doctor(), "CANIPOST_KNOWLEDGE")
    assert f"example.yaml:{line}:" in text and "unknown topic 'identificaton'" in text
    assert "canipost kb validate --knowledge" in text


def test_knowledge_directory_that_does_not_exist(doctor, tmp_path):
    text = problem(doctor(CANIPOST_KNOWLEDGE=str(tmp_path / "nowhere")), "CANIPOST_KNOWLEDGE")
    assert "is not a directory" in text


# -- advisors --------------------------------------------------------------------------------

def test_missing_advisors(doctor):
    assert "not set" in problem(doctor(CANIPOST_ADVISORS=None), "CANIPOST_ADVISORS")


def test_advisors_given_as_names(doctor):
    text = problem(doctor(CANIPOST_ADVISORS="U012AB3CD,@sam"), "CANIPOST_ADVISORS")
    assert "@sam" in text and "member ids" in text


def test_advisors_user_group_must_stand_alone(doctor):
    assert doctor(CANIPOST_ADVISORS="S0123GROUP").returncode == 0
    assert "only entry" in problem(doctor(CANIPOST_ADVISORS="U012AB3CD,S0123GROUP"), "CANIPOST_ADVISORS")


def test_missing_advisors_channel(doctor):
    assert "not set" in problem(doctor(CANIPOST_ADVISORS_CHANNEL=None), "CANIPOST_ADVISORS_CHANNEL")


def test_advisors_channel_given_by_name(doctor):
    text = problem(doctor(CANIPOST_ADVISORS_CHANNEL="#ethics-advice"), "CANIPOST_ADVISORS_CHANNEL")
    assert "channel name" in text and "Channel ID" in text


# -- numbers and the database -------------------------------------------------------------------

def test_malformed_port(doctor):
    text = problem(doctor(PORT="80a"), "PORT")
    assert "whole number" in text and "'80a'" in text


def test_retention_out_of_range(doctor):
    text = problem(doctor(CANIPOST_RETENTION_DAYS="0"), "CANIPOST_RETENTION_DAYS")
    assert "between 1 and" in text


def test_every_malformed_setting_is_reported_not_just_the_first(doctor):
    result = doctor(PORT="http", CANIPOST_RETENTION_DAYS="forever", CANIPOST_LOG_LEVEL="chatty")
    for name in ("PORT", "CANIPOST_RETENTION_DAYS", "CANIPOST_LOG_LEVEL"):
        problem(result, name)
    assert lines_about(result, "database", "OK")  # the rest still checked


def test_short_retention_is_a_note(doctor):
    result = doctor(CANIPOST_RETENTION_DAYS="7")
    assert result.returncode == 0 and lines_about(result, "CANIPOST_RETENTION_DAYS", "NOTE")


def test_database_directory_that_cannot_be_created(doctor, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the data directory should be")
    text = problem(doctor(CANIPOST_DATA_DIR=str(blocker / "data")), "database")
    assert str(blocker) in text and "writable" in text


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes through file permissions")
def test_database_directory_without_write_permission(doctor, tmp_path):
    data = tmp_path / "readonly"
    data.mkdir()
    data.chmod(0o500)
    try:
        problem(doctor(CANIPOST_DATA_DIR=str(data)), "database")
    finally:
        data.chmod(0o700)


def test_database_check_leaves_no_trace(doctor, tmp_path):
    assert doctor().returncode == 0
    import sqlite3

    with sqlite3.connect(tmp_path / "data" / "canipost.db") as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert not any("doctor" in name for name in tables)


# -- reaching Slack ----------------------------------------------------------------------------

def test_missing_scopes_are_named(doctor):
    wanted = bot_scopes()
    if not wanted:
        pytest.skip("canipost.slack.manifest (BOT_SCOPES) is not in this build yet")
    granted, lacking = wanted[1:], wanted[0]
    with FakeSlack(scopes=granted) as slack:
        text = problem(doctor(SLACK_API_URL=slack.url), "scopes")
    assert lacking in text and "deploy/manifest.yml" in text and "reinstall" in text.lower()


def test_extra_scopes_are_a_note(doctor):
    if not bot_scopes():
        pytest.skip("canipost.slack.manifest (BOT_SCOPES) is not in this build yet")
    with FakeSlack(scopes=[*bot_scopes(), "admin"]) as slack:
        result = doctor(SLACK_API_URL=slack.url)
    assert result.returncode == 0, result.stdout
    assert "admin" in "\n".join(lines_about(result, "scopes", "NOTE"))


def test_refused_token(doctor):
    with FakeSlack(error="invalid_auth") as slack:
        text = problem(doctor(SLACK_API_URL=slack.url), "Slack")
    assert "invalid_auth" in text


def test_unreachable_slack_is_a_note_not_a_failure(doctor):
    result = doctor(SLACK_API_URL=f"http://127.0.0.1:{closed_port()}/api/")
    assert result.returncode == 0, result.stdout
    assert "could not reach" in "\n".join(lines_about(result, "Slack", "NOTE"))


# -- where settings come from --------------------------------------------------------------------

def test_reads_dot_env_in_the_working_directory(doctor, tmp_path):
    (tmp_path / "work" / ".env").write_text(f"# from the file\nSLACK_BOT_TOKEN={BOT_TOKEN}\nCANIPOST_PROFIL=ex-base\n")
    result = doctor(SLACK_BOT_TOKEN=None)
    assert result.returncode == 0, result.stdout
    assert ".env" in "\n".join(lines_about(result, "configuration", "OK"))
    assert "did you mean CANIPOST_PROFILE" in "\n".join(lines_about(result, "CANIPOST_PROFIL", "NOTE"))


def test_log_text_on_is_a_note(doctor):
    result = doctor(CANIPOST_LOG_TEXT="1")
    assert result.returncode == 0 and lines_about(result, "CANIPOST_LOG_TEXT", "NOTE")


# -- issue 12: which scope set, and secrets in the wrong place ----------------------------------

def test_says_whether_the_token_has_the_narrow_or_the_broad_scope_set(doctor):
    from canipost.slack.manifest import BOT_SCOPES, THREAD_FOLLOW_UP_SCOPES

    with FakeSlack(scopes=list(BOT_SCOPES)) as slack:
        narrow = doctor(SLACK_API_URL=slack.url)
    assert narrow.returncode == 0, narrow.stdout
    assert "narrow scope set" in "\n".join(lines_about(narrow, "scopes", "OK"))
    with FakeSlack(scopes=[*BOT_SCOPES, *THREAD_FOLLOW_UP_SCOPES]) as slack:
        broad = doctor(SLACK_API_URL=slack.url)
    assert broad.returncode == 0, broad.stdout
    notes = "\n".join(lines_about(broad, "scopes", "NOTE"))
    assert "broad scope set" in notes and "every message" in notes
    assert "does not use" not in notes, "the broad set is a choice, not an unused scope"


def test_a_proxy_password_in_the_slack_url_is_never_printed(doctor):
    password = "Pr0xyPassw0rdInTheUrl"
    for args in ((), ("--json",)):
        result = doctor(*args, "--offline", SLACK_API_URL=f"https://canipost:{password}@proxy.example.gov.au/api/")
        assert password not in result.stdout + result.stderr
        assert "proxy.example.gov.au" in result.stdout


def test_a_secret_in_the_wrong_variable_is_never_printed(doctor):
    result = doctor(CANIPOST_PROFILE=SIGNING_SECRET, SLACK_SIGNING_SECRET=None, CANIPOST_LOG_LEVEL=BOT_TOKEN,
                    SLACK_BOT_TOKEN=None, SLACK_API_URL=APP_TOKEN)
    assert result.returncode == 1
    assert "CANIPOST_PROFILE" in result.stdout and "CANIPOST_LOG_LEVEL" in result.stdout
