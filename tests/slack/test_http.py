"""The HTTP endpoint: only requests signed by Slack get in, everything is acknowledged at
once, and a retried event is answered once, unless the first delivery failed."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import urllib.request

import pytest

from .conftest import SECRET
from .driver import Slack, uid

def traces(app, user: str, trigger: str) -> list[dict]:
    """Anything the request could have left in the database."""
    return (app.rows("SELECT id FROM answers WHERE user_id = ?", (user,))
            + app.rows("SELECT key FROM handled_events WHERE key LIKE ?", (f"%{trigger}%",))
            + app.rows("SELECT key FROM outbox WHERE key LIKE ?", (f"%{trigger}%",))
            + app.rows("SELECT id FROM feedback WHERE user_id = ?", (user,))
            + app.rows("SELECT id FROM escalations WHERE asker_id = ?", (user,))
            + app.rows("SELECT id FROM audit WHERE actor_id = ?", (user,)))


def test_health_check(app):
    status, body = app.health()
    assert status == 200
    assert body["status"] == "ok" and body["database"] == "ok" and body["profile"] == "au-aps"
    assert body["provisions"] > 0 and body["mode"] == "http" and body["knowledge"] == "bundled"


def test_only_slacks_endpoint_and_the_health_check_are_served(app):
    for path in ("/", "/slack/install", "/admin"):
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(app.url + path, timeout=5)
        assert caught.value.code == 404


def test_url_verification_answers_the_challenge(slack):
    reply = slack.post(json.dumps({"token": "x", "challenge": "abc123", "type": "url_verification"}), "application/json")
    assert reply.status == 200 and "abc123" in reply.body


@pytest.mark.parametrize("how", ["forged", "missing headers", "stale timestamp", "tampered body"])
def test_unsigned_requests_are_refused_with_no_side_effect(slack, standin, app, how):
    user, channel, trigger = uid("U"), uid("C"), f"forged.{uid('T')}"
    url = standin.response_url(f"commands/{uid('FORGED')}")
    body = urllib.parse.urlencode({"command": "/canipost", "text": "PROTECTED budget", "user_id": user,
                                   "channel_id": channel, "team_id": "T0TEST", "trigger_id": trigger,
                                   "response_url": url})
    form = "application/x-www-form-urlencoded"
    if how == "forged":
        reply = slack.post(body, form, secret="0" * 32)
    elif how == "missing headers":
        reply = slack.post(body, form, sign=False)
    elif how == "stale timestamp":
        reply = slack.post(body, form, timestamp=int(time.time()) - 6 * 60)  # correctly signed, 6 minutes old
    else:
        stamp = str(int(time.time()))
        from slack_sdk.signature import SignatureVerifier
        signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
        reply = slack.post(body.replace("PROTECTED", "harmless"), form, sign=False,
                           headers={"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature})
    assert reply.status == 401
    time.sleep(0.5)
    assert not [c for c in standin.since() if standin.url + c.path == url or user in c.raw], "nothing reached Slack"
    assert traces(app, user, trigger) == [], "nothing was written"


def test_acknowledged_within_three_seconds_even_when_slack_is_slow(slack, standin):
    """The work (here a response URL that takes 4 s) happens after the acknowledgement."""
    url = standin.response_url(f"commands/{uid('SLOW')}")
    standin.slow("response_url", 4.0, when=lambda call: call.path.endswith(url.rsplit("/", 1)[1]))
    reply = slack.command("Proud of my team's launch today!", uid("U"), uid("C"), response_url=url)
    assert reply.status == 200 and reply.body == "" and reply.seconds < 1.0


def test_a_retried_event_is_answered_once(slack, standin, app):
    user, channel = uid("U"), uid("D")
    event = {"type": "message", "user": user, "text": "Can I share my team's award on LinkedIn?", "ts": "1.000001",
             "channel": channel, "channel_type": "im"}
    event_id = f"Ev{uid('R')}"
    # The original and Slack's retries, all at once, as when the first acknowledgement was slow.
    replies = []
    threads = [threading.Thread(target=lambda n=n: replies.append(slack.event(dict(event), event_id=event_id,
                                                                               retry=n or None)))
               for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status for r in replies] == [200, 200, 200]
    standin.wait_for(lambda c: c.method == "chat.postMessage" and c.body.get("channel") == channel)
    # And once more, well after it was answered.
    assert slack.event(dict(event), event_id=event_id, retry=3).status == 200
    time.sleep(1.0)
    posted = [c for c in standin.since(method="chat.postMessage") if c.body.get("channel") == channel]
    assert len(posted) == 1, "answered once"
    answer_ids = {r["id"] for r in app.rows("SELECT id FROM answers WHERE channel = ?", (channel,))}
    assert len(answer_ids) == 1, "recorded once"
    assert len([e for e in app.logs() if e.get("event") == "answered" and e.get("answer_id") in answer_ids]) == 1
    app.wait_log("duplicate_ignored", count=3, key=f"slack:event:{event_id}")


def test_a_failed_first_delivery_is_tried_again_by_canipost_and_answered_once(slack, standin, app):
    user, channel = uid("U"), uid("D")
    standin.fail("chat.postMessage", when=lambda call: call.body.get("channel") == channel, times=1)
    event = {"type": "message", "user": user, "text": "Can I post photos of our office on Instagram?",
             "ts": "2.000001", "channel": channel, "channel_type": "im"}
    event_id = f"Ev{uid('F')}"
    assert slack.event(dict(event), event_id=event_id).status == 200
    # Slack refused once (internal_error): canipost tries again by itself, a second later...
    calls = standin.wait_for(lambda c: c.method == "chat.postMessage" and c.body.get("channel") == channel, count=2)
    assert [c.ok for c in calls] == [False, True]
    assert calls[1].at - calls[0].at > 0.5, "after a pause, not at once"
    app.wait_log("delivery_retry", key=f"slack:event:{event_id}")
    # ...and Slack's own retry of the event makes no second answer.
    assert slack.event(dict(event), event_id=event_id, retry=1).status == 200
    app.wait_log("duplicate_ignored", key=f"slack:event:{event_id}")
    time.sleep(0.5)
    assert len([c for c in standin.since(method="chat.postMessage") if c.body.get("channel") == channel]) == 2
    app.wait_rows("SELECT * FROM outbox WHERE key = ? AND status = 'done' AND attempts = 1",
                  (f"slack:event:{event_id}",))


def test_a_fresh_server_fed_only_bad_requests_calls_nothing_and_writes_nothing(tmp_path):
    """With a stand-in of its own, so that nothing else can be calling it."""
    from .conftest import RunningApp
    from .standin import StandIn

    own = StandIn().start()
    running = RunningApp(tmp_path / "fresh", own).start()
    try:
        slack = Slack(running.url, SECRET, own)
        event = {"type": "message", "user": "U0X", "text": "PROTECTED", "ts": "1.1", "channel": "D0X",
                 "channel_type": "im"}
        replies = [slack.event(dict(event), secret="f" * 32), slack.event(dict(event), sign=False),
                   slack.event(dict(event), timestamp=int(time.time()) - 301),
                   slack.command("PROTECTED", "U0X", "C0X", secret="f" * 32)]
        assert [r.status for r in replies] == [401] * 4
        time.sleep(0.5)
        assert own.calls == [], "not even auth.test"
        for table in ("answers", "handled_events", "outbox", "feedback", "escalations", "audit", "comments",
                      "precedents"):
            assert running.rows(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"] == 0, table
    finally:
        running.stop()
        own.stop()
