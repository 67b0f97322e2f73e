"""Running it: `canipost serve` picks its mode, refuses to start without its tokens, reloads the
knowledge base on SIGHUP (keeping the old one if the new one is invalid), and on SIGTERM
finishes what it accepted before it exits."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

from canipost.kb import bundled_knowledge_dir

from .conftest import SECRET
from .driver import Slack, text_of, uid

TITLE = "Deal appropriately with information; some must stay confidential"
SOURCE_FILE = "au/aps-values-code-of-conduct.yaml"


def check_draft(slack: Slack, standin, text: str = "PROTECTED: next year's budget figures"):
    url = standin.response_url(f"commands/{uid('R')}")
    assert slack.command(text, uid("U"), uid("C"), response_url=url).status == 200
    return standin.wait_for(lambda c: c.method == "response_url" and standin.url + c.path == url)[0]


def test_sighup_reloads_a_valid_knowledge_base_and_refuses_an_invalid_one(tmp_path, standin, start_app):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(bundled_knowledge_dir(), knowledge)
    running = start_app({"CANIPOST_KNOWLEDGE": str(knowledge)})
    slack = Slack(running.url, SECRET, standin)
    assert TITLE in text_of(check_draft(slack, standin).blocks)
    assert running.health()[1]["knowledge"] == "custom"

    source = knowledge / SOURCE_FILE
    source.write_text(source.read_text().replace(TITLE, "Handle information with care (revised)"))
    running.signal(signal.SIGHUP)
    running.wait_log("knowledge_reloaded")
    assert "Handle information with care (revised)" in text_of(check_draft(slack, standin).blocks)

    source.write_text(source.read_text() + "\n  - id: [not, valid\n")
    running.signal(signal.SIGHUP)
    refused = running.wait_log("knowledge_reload_refused")[0]
    assert refused["level"] == "error" and refused["errors"] and SOURCE_FILE in " ".join(refused["errors"])
    assert running.health()[0] == 200
    assert "Handle information with care (revised)" in text_of(check_draft(slack, standin).blocks), "the old one is kept"
    assert running.process.poll() is None


def test_sigterm_finishes_work_in_flight_then_exits_cleanly(standin, start_app):
    running = start_app()
    slack = Slack(running.url, SECRET, standin)
    url = standin.response_url(f"commands/{uid('SLOWSTOP')}")
    standin.slow("response_url", 2.0, when=lambda c: standin.url + c.path == url)
    reply = slack.command("Proud of my team's launch today!", uid("U"), uid("C"), response_url=url)
    assert reply.status == 200
    time.sleep(0.2)  # the answer is on its way to the (slow) response URL
    running.signal(signal.SIGTERM)
    assert running.process.wait(timeout=20) == 0
    delivered = standin.wait_for(lambda c: c.method == "response_url" and standin.url + c.path == url, timeout=1)
    assert delivered[0].ok
    events = [e.get("event") for e in running.logs()]
    assert events.index("answered") < events.index("stopped"), "the answer went out before the store closed"
    assert not [e for e in running.logs() if e.get("level") == "error"]


def test_socket_mode_when_an_app_token_is_set(standin, start_app):
    app_token = "xapp-1-A0CANIPOST-1234567890-" + "a" * 32
    mark = standin.mark()
    running = start_app({"SLACK_APP_TOKEN": app_token}, args=(), wait=False)
    opened = standin.wait_for(lambda c: c.method == "apps.connections.open", mark=mark, timeout=20)[0]
    assert opened.headers["authorization"] == f"Bearer {app_token}", "Socket Mode, through SLACK_API_URL"
    # The stand-in's WebSocket address leads nowhere: the client keeps trying, and the health
    # check says, truthfully, that the service is not connected; Slack's HTTP endpoint is not
    # served in Socket Mode.
    status, health = running.first_health()
    assert status == 503 and health["mode"] == "socket" and health["socket_connected"] is False
    assert Slack(running.url, SECRET, standin).command("hello", uid("U"), uid("C")).status == 404
    assert app_token not in running.log_text()

    # A token Slack refuses stops the service at once, saying why.
    standin.fail("apps.connections.open", error="invalid_auth")
    refused = start_app({"SLACK_APP_TOKEN": app_token}, args=(), wait=False)
    assert refused.process.wait(timeout=20) != 0
    failed = [e for e in refused.logs() if e.get("event") == "startup_failed"]
    assert failed and "invalid_auth" in failed[0]["error"] and "Traceback" not in refused.log_text()

    # --http overrides it.
    running = start_app({"SLACK_APP_TOKEN": app_token}, args=("--http",))
    assert running.health()[0] == 200
    assert check_draft(Slack(running.url, SECRET, standin), standin).ok


def test_missing_tokens_are_named_in_one_line(tmp_path):
    def serve(**env) -> subprocess.CompletedProcess:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CANIPOST_"))}
        return subprocess.run([sys.executable, "-m", "canipost", "serve", "--http", "--port", "1"], cwd=tmp_path,
                              env=base | {"CANIPOST_DATA_DIR": str(tmp_path / "data"), **env},
                              capture_output=True, text=True, timeout=60)

    for env, missing in (({}, "SLACK_BOT_TOKEN"), ({"SLACK_BOT_TOKEN": "xoxb-1-2-abc"}, "SLACK_SIGNING_SECRET")):
        result = serve(**env)
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and missing in result.stderr and "Traceback" not in result.stderr
        assert result.stdout == ""
