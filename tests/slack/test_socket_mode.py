"""Socket Mode over a real WebSocket on loopback (socketmode.py speaks Slack's side): the app
acknowledges envelopes and answers; after Slack's routine refresh the first event is
acknowledged well inside Slack's 3 seconds; a dropped or silently dead connection is back
within 15 seconds, and /healthz tells the truth meanwhile; a Slack that cannot be reached at
start-up is tried again until it can."""

from __future__ import annotations

import time
import urllib.parse

import pytest

from .driver import trigger, uid
from .socketmode import SocketModeServer
from .standin import BOT_USER, TEAM

APP_TOKEN = "xapp-1-A0CANIPOST-1234567890-" + "b" * 32


@pytest.fixture
def socket_server(standin):
    server = SocketModeServer().start()
    previous, standin.socket_url = standin.socket_url, server.url
    yield server
    standin.socket_url = previous
    server.stop()


@pytest.fixture
def socket_app(socket_server, start_app):
    running = start_app({"SLACK_APP_TOKEN": APP_TOKEN}, args=())  # healthy once connected
    socket_server.wait_connected()
    return running


def mention(channel: str) -> dict:
    return {"type": "event_callback", "team_id": TEAM, "api_app_id": "A0CANIPOST", "event_id": f"Ev{uid('S')}",
            "event_time": int(time.time()), "event": {"type": "app_mention", "user": uid("U"), "channel": channel,
                                                      "text": f"<@{BOT_USER}> can I post our team photo?",
                                                      "ts": f"{time.time():.6f}"}}


def command(response_url: str) -> dict:
    return {"token": "deprecated", "team_id": TEAM, "channel_id": uid("C"), "user_id": uid("U"),
            "user_name": "sam", "command": "/canipost", "text": "Proud of my team's launch today!",
            "response_url": response_url, "trigger_id": trigger(), "api_app_id": "A0CANIPOST"}


def wait_status(running, wanted: int, timeout: float) -> float:
    started = time.monotonic()
    while running.health()[0] != wanted:
        assert time.monotonic() - started < timeout, running.health()
        time.sleep(0.1)
    return time.monotonic() - started


def test_envelopes_are_acknowledged_and_answered(socket_app, socket_server, standin):
    status, health = socket_app.health()
    assert status == 200 and health["socket_connected"] is True and health["mode"] == "socket"
    url = standin.response_url(f"commands/{uid('SM')}")
    assert socket_server.send("slash_commands", command(url)) < 1.0
    answer = standin.wait_for(lambda c: c.method == "response_url" and standin.url + c.path == url)[0]
    assert answer.body["text"]
    channel = uid("C")
    assert socket_server.send("events_api", mention(channel)) < 1.0
    standin.wait_for(lambda c: c.method == "chat.postMessage" and c.body.get("channel") == channel)


def test_the_first_event_after_a_refresh_is_acknowledged_in_time(socket_app, socket_server, standin):
    for _ in range(3):
        hellos = socket_server.hellos
        socket_server.refresh()
        socket_server.wait_connected(hellos + 1, timeout=10)
        assert socket_server.send("events_api", mention(uid("C"))) < 3.0


def test_a_dropped_connection_is_back_within_15_seconds(socket_app, socket_server, standin):
    hellos = socket_server.hellos
    socket_server.relay.cut()
    assert socket_server.wait_connected(hellos + 1, timeout=15) < 15
    wait_status(socket_app, 200, timeout=5)
    assert socket_server.send("events_api", mention(uid("C"))) < 1.0


def test_a_silently_dead_connection_is_noticed_and_replaced_within_15_seconds(socket_app, socket_server, standin):
    hellos = socket_server.hellos
    socket_server.relay.freeze()  # open, but nothing gets through either way
    assert socket_server.wait_connected(hellos + 1, timeout=15) < 15
    events = [e.get("event") for e in socket_app.logs()]
    assert "socket_mode_silent" in events
    wait_status(socket_app, 200, timeout=5)
    assert socket_server.send("events_api", mention(uid("C"))) < 1.0


def test_start_up_keeps_trying_while_slack_cannot_be_reached(socket_server, standin, start_app):
    standin.fail("apps.connections.open", status=503, error="service_unavailable", times=9)
    running = start_app({"SLACK_APP_TOKEN": APP_TOKEN}, args=(), wait=False)
    status, health = running.first_health()
    assert status == 503 and health["socket_connected"] is False
    wait_status(running, 200, timeout=40)
    assert running.process.poll() is None
    assert [e for e in running.logs() if e.get("event") == "socket_mode_not_connected"]
    assert socket_server.send("events_api", mention(uid("C"))) < 1.0
