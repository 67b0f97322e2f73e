"""Logs are one JSON object a line, carry a request id per request, and never hold a token, the
signing secret or a draft's full text (unless CANIPOST_LOG_TEXT=1)."""

from __future__ import annotations

import io
import json
import logging
import threading

import pytest

from canipost.config import Settings
from canipost.logs import configure, current_request_id, log, redact, request_scope, text_field

BOT_TOKEN = "xoxb-1111111111-2222222222-Q7rT9vX2mK4pL8nB3cF6hJ1w"
SIGNING_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
APP_TOKEN = "xapp-1-A0123456789-3333333333-9e8d7c6b5a4f3e2d1c0b"
DRAFT = "Draft: the Minister's leaked budget figures are attached, can I tweet them tonight?"


def settings(tmp_path, **env) -> Settings:
    return Settings.from_env({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                              "SLACK_APP_TOKEN": APP_TOKEN, **env}, env_file=tmp_path / "none")


@pytest.fixture
def capture(tmp_path):
    """Configure logging into a buffer; give back a function returning the parsed lines."""
    stream = io.StringIO()
    root = logging.getLogger()
    before_handlers, before_level = list(root.handlers), root.level

    def start(**env):
        configure(settings(tmp_path, **env), stream=stream)
        return lines

    def lines() -> list[dict]:
        text = stream.getvalue()
        parsed = []
        for line in text.splitlines():
            entry = json.loads(line)  # every line is one JSON object
            assert isinstance(entry, dict)
            parsed.append(entry)
        return parsed

    yield start
    for handler in list(root.handlers):
        if handler not in before_handlers:
            root.removeHandler(handler)
    root.setLevel(before_level)
    configure(None, stream=io.StringIO())  # forget the test's secrets and log_text
    for handler in list(root.handlers):
        if handler not in before_handlers:
            root.removeHandler(handler)


def test_one_json_object_a_line_with_time_level_and_event(capture):
    lines = capture()
    log("started", port=3000)
    logging.getLogger("canipost.store").warning("slow write: %d ms", 1200)
    first, second = lines()
    assert first["event"] == "started" and first["port"] == 3000 and first["level"] == "info"
    assert first["time"].endswith("+00:00") and first["logger"] == "canipost"
    assert second["event"] == "slow write: 1200 ms" and second["level"] == "warning"


def test_multiline_messages_stay_on_one_line(capture):
    lines = capture()
    try:
        raise RuntimeError("boom\nsecond line")
    except RuntimeError:
        logging.getLogger("canipost").exception("handler failed\nwith detail")
    (entry,) = lines()
    assert "Traceback" in entry["error"] and entry["event"] == "handler failed\nwith detail"


def test_request_ids_tag_every_line_of_a_request_and_differ_between_requests(capture):
    lines = capture()
    with request_scope() as first_id:
        log("received", kind="slash_command")
        log("answered", verdict="caution")
    with request_scope("given-id-123"):
        log("received")
    log("idle")
    a, b, c, d = lines()
    assert a["request_id"] == b["request_id"] == first_id and len(first_id) >= 8
    assert c["request_id"] == "given-id-123"
    assert "request_id" not in d
    assert current_request_id() is None


def test_request_ids_do_not_leak_between_threads(capture):
    lines = capture()
    ready = threading.Barrier(2)

    def handle(name: str) -> None:
        with request_scope(name):
            ready.wait()
            log("handled", by=name)

    threads = [threading.Thread(target=handle, args=(n,)) for n in ("req-a", "req-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {(e["request_id"], e["by"]) for e in lines()} == {("req-a", "req-a"), ("req-b", "req-b")}


def test_tokens_and_signing_secret_are_redacted_wherever_they_appear(capture):
    lines = capture()
    log(f"calling Slack with {BOT_TOKEN}", headers={"Authorization": f"Bearer {BOT_TOKEN}"},
        secret=SIGNING_SECRET, app=[APP_TOKEN])
    logging.getLogger("slack_sdk.web").warning("request failed for token %s", BOT_TOKEN)
    try:
        raise ValueError(f"bad signature computed with {SIGNING_SECRET}")
    except ValueError:
        logging.getLogger("canipost.slack").exception("verification failed")
    output = json.dumps(lines())
    for secret in (BOT_TOKEN, SIGNING_SECRET, APP_TOKEN):
        assert secret not in output
    assert output.count("[redacted]") >= 6


def test_token_shaped_strings_that_are_not_ours_are_redacted_too():
    someone_elses = "xoxp-9999999999-8888888888-abcdefabcdefabcdef"
    assert redact(f"pasted {someone_elses} in a draft") == "pasted [redacted] in a draft"
    assert redact("an ordinary sentence about xox and apps") == "an ordinary sentence about xox and apps"


def test_full_text_is_absent_by_default(capture):
    lines = capture()
    with request_scope():
        log("answered", verdict="do-not-post", **text_field(DRAFT))
    (entry,) = lines()
    assert DRAFT not in json.dumps(entry) and "leaked budget" not in json.dumps(entry)
    assert entry["text_chars"] == len(DRAFT) and len(entry["text_sha256"]) == 12


def test_same_text_same_fingerprint_so_lines_can_be_correlated(capture):
    lines = capture()
    log("received", **text_field(DRAFT))
    log("answered", **text_field(DRAFT))
    log("other", **text_field("something else"))
    a, b, c = lines()
    assert a["text_sha256"] == b["text_sha256"] != c["text_sha256"]


def test_full_text_only_with_log_text_on(capture):
    lines = capture(CANIPOST_LOG_TEXT="1")
    log("answered", **text_field(DRAFT, name="draft"))
    (entry,) = lines()
    assert entry["draft"] == DRAFT


def test_even_with_log_text_on_secrets_in_the_text_are_redacted(capture):
    lines = capture(CANIPOST_LOG_TEXT="1")
    log("answered", **text_field(f"my token is {BOT_TOKEN}, can I post it?"))
    (entry,) = lines()
    assert BOT_TOKEN not in entry["text"] and "[redacted]" in entry["text"]


def test_log_level_applies_and_slack_libraries_never_log_bodies(capture):
    lines = capture(CANIPOST_LOG_LEVEL="DEBUG")
    logging.getLogger("canipost").debug("detail")
    logging.getLogger("slack_sdk.web.base_client").debug("Received the following response: %s", DRAFT)
    assert [e["event"] for e in lines()] == ["detail"]


def test_warning_level_drops_info(capture):
    lines = capture(CANIPOST_LOG_LEVEL="WARNING")
    log("answered")
    log("slow", level=logging.WARNING)
    assert [e["event"] for e in lines()] == ["slow"]


def test_log_text_setting_is_off_unless_asked(tmp_path):
    assert settings(tmp_path).log_text is False
    assert settings(tmp_path, CANIPOST_LOG_TEXT="0").log_text is False
    assert settings(tmp_path, CANIPOST_LOG_TEXT="1").log_text is True


# -- end to end: the Slack server's own logs ---------------------------------------------------

def asgi(app, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """One HTTP request through an ASGI app, as uvicorn would make it."""
    import asyncio

    async def run() -> tuple[int, bytes]:
        incoming = [{"type": "http.request", "body": body, "more_body": False}]
        sent: list[dict] = []

        async def receive():
            return incoming.pop(0) if incoming else {"type": "http.disconnect"}

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
                 "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
                 "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 3000)}
        await app(scope, receive, send)
        status = next(m["status"] for m in sent if m["type"] == "http.response.start")
        return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")

    return asyncio.run(run())


def slash_command(text: str, secret: str, response_url: str) -> tuple[bytes, dict[str, str]]:
    import hashlib
    import hmac
    import time
    import urllib.parse

    body = urllib.parse.urlencode({
        "team_id": "T0LOGS", "channel_id": "C0LOGS", "user_id": "U0LOGS", "user_name": "sam", "command": "/canipost",
        "text": text, "api_app_id": "A0LOGS", "response_url": response_url, "trigger_id": f"{time.time_ns()}.1.logs"})
    timestamp = str(int(time.time()))
    signature = "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return body.encode(), {"content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": timestamp,
                           "x-slack-signature": signature}


@pytest.fixture
def served(tmp_path, capture):
    """The real ASGI server (HTTP mode) over the bundled knowledge base, a temporary database and a
    stand-in Web API; yields (server, lines, stand-in) and shuts the server down afterwards."""
    pytest.importorskip("canipost.slack.server")
    from test_doctor import FakeSlack

    from canipost.slack.app import Services, build_app
    from canipost.slack.server import Server

    def start(**env):
        slack = FakeSlack(scopes=[]).__enter__()
        lines = capture(SLACK_API_URL=slack.url, CANIPOST_DATA_DIR=str(tmp_path / "data"), **env)
        config = settings(tmp_path, SLACK_API_URL=slack.url, CANIPOST_DATA_DIR=str(tmp_path / "data"),
                          SLACK_APP_TOKEN="", **env)
        services = Services.open(config)
        server = Server(services, build_app(config, services))
        services.start()  # what the server's start-up (ASGI lifespan) does
        started.append((server, slack))
        return server, lines, slack

    started: list = []
    yield start
    for server, slack in started:
        server.shutdown()
        slack.__exit__(None, None, None)


def test_a_slack_request_is_logged_with_a_request_id_and_without_its_text(served):
    server, lines, slack = served()
    body, headers = slash_command(DRAFT, SIGNING_SECRET, slack.url.replace("/api/", "/commands/1"))
    assert asgi(server, "POST", "/slack/events", body, headers)[0] == 200
    server.shutdown()  # waits for the answer to be delivered, so every line is written
    entries = lines()
    answered = [e for e in entries if e["event"] == "answered"]
    assert answered and answered[0].get("request_id")
    assert answered[0]["text_chars"] == len(DRAFT)
    output = json.dumps(entries)
    assert "leaked budget" not in output and "leaked+budget" not in output
    assert SIGNING_SECRET not in output and BOT_TOKEN not in output


def test_with_log_text_on_the_text_is_logged(served):
    server, lines, slack = served(CANIPOST_LOG_TEXT="1")
    body, headers = slash_command(DRAFT, SIGNING_SECRET, slack.url.replace("/api/", "/commands/1"))
    assert asgi(server, "POST", "/slack/events", body, headers)[0] == 200
    server.shutdown()
    assert any(e.get("text") == DRAFT for e in lines() if e["event"] == "answered")


def test_a_badly_signed_request_is_refused_and_its_body_not_logged(served):
    server, lines, slack = served()
    body, headers = slash_command(DRAFT, "0" * 32, slack.url.replace("/api/", "/commands/1"))
    assert asgi(server, "POST", "/slack/events", body, headers)[0] == 401
    output = json.dumps(lines())
    assert "leaked" not in output, "a refused request's body (with the draft) was logged"


def test_healthz_answers_from_the_same_server(served):
    server, _, _ = served()
    status, body = asgi(server, "GET", "/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"
