"""The Slack app, started for real (``python3 -m canipost serve --http``) against a stand-in
for the Slack Web API, once for the whole session; tests that stop or signal a server start
their own."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .driver import Slack
from .standin import StandIn

SECRET = "3f8a1c9e5b7d2046a1b3c5d7e9f10234"
BOT_TOKEN = "xoxb-1111111111-2222222222-" + "TestTokenForSlackSuite1"
ADVISOR = "U0ADVISOR"
ADVISORS_CHANNEL = "C0ADVISORS"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RunningApp:
    """``canipost serve`` in a subprocess, its logs in a file, its database readable."""

    def __init__(self, root: Path, standin: StandIn, env: dict[str, str] | None = None,
                 args: tuple[str, ...] = ("--http",)):
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_path = root / "canipost.db"
        self.log_path = root / "app.log"
        base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CANIPOST_"))}
        self.env = base | {
            "SLACK_API_URL": standin.api_url, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET,
            "CANIPOST_DB": str(self.db_path), "CANIPOST_DATA_DIR": str(root / "data"),
            "CANIPOST_ADVISORS": ADVISOR, "CANIPOST_ADVISORS_CHANNEL": ADVISORS_CHANNEL,
            "PYTHONUNBUFFERED": "1", **(env or {}),
        }
        self.args = args
        self.process: subprocess.Popen | None = None

    def start(self, wait: bool = True) -> "RunningApp":
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "canipost", "serve", *self.args, "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env, cwd=self.root, stdout=self._log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_healthy()
        return self

    def health(self) -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def first_health(self, timeout: float = 20) -> tuple[int, dict]:
        """The health check's first answer, whatever it is (the server may still be starting)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.health()
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"canipost serve never answered /healthz:\n{self.log_text()[-3000:]}")
                time.sleep(0.1)

    def wait_healthy(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.health()[0] == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"canipost serve did not become healthy:\n{self.log_text()}")
            time.sleep(0.05)

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def logs(self) -> list[dict]:
        entries = []
        for line in self.log_text().splitlines():
            try:
                entries.append(json.loads(line))
            except ValueError:
                entries.append({"unparsed": line})
        return entries

    def wait_log(self, event: str, count: int = 1, timeout: float = 10, **fields) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.logs() if e.get("event") == event
                     and all(e.get(k) == v for k, v in fields.items())]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"no {count} log line(s) {event} {fields}:\n{self.log_text()[-3000:]}")
            time.sleep(0.05)

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def stop(self, timeout: float = 30) -> int:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode

    def rows(self, sql: str, params: tuple = ()) -> list[dict]:
        connection = sqlite3.connect(self.db_path, timeout=10)
        connection.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in connection.execute(sql, params)]
        finally:
            connection.close()

    def wait_rows(self, sql: str, params: tuple = (), count: int = 1, timeout: float = 8) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.rows(sql, params)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} row(s) for {sql} {params}, got {found}")
            time.sleep(0.05)


@pytest.fixture(scope="session")
def standin():
    server = StandIn().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app(tmp_path_factory, standin):
    running = RunningApp(tmp_path_factory.mktemp("slack-app"), standin).start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def slack(app, standin) -> Slack:
    return Slack(app.url, SECRET, standin)


@pytest.fixture
def start_app(tmp_path, standin):
    """Start a server of one's own (to signal or stop it); stopped at the end of the test."""
    started: list[RunningApp] = []

    def start(env: dict[str, str] | None = None, args: tuple[str, ...] = ("--http",), wait: bool = True) -> RunningApp:
        running = RunningApp(tmp_path / f"app{len(started)}", standin, env, args)
        started.append(running)
        return running.start(wait=wait)

    yield start
    for running in started:
        running.stop()
