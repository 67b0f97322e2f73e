"""Issue 12: a fuzz test of the HTTP endpoint. Hypothesis (fixed seed) sends the running app
malformed requests, signed and unsigned: bodies that are not forms or JSON, payloads of every
interaction type with fields missing or of the wrong type, events of odd shapes, certificate and
URL checks. None may get a 5xx, and none may leave an error (a traceback) in the app's log."""

from __future__ import annotations

import json
import time
import urllib.parse

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from .driver import uid

EXAMPLES = 400
TYPES = ["block_actions", "view_submission", "view_closed", "shortcut", "message_action", "block_suggestion",
         "interactive_message", "dialog_submission", "event_callback", "url_verification", "app_rate_limited",
         "nonsense", ""]
ACTIONS = ["escalate", "more_provisions", "capacity:official", "feedback:helpful", "claim", "resolve", "other"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
                    st.text(max_size=40), st.sampled_from(["", "CP-00001", "U0ADVISOR", "\u202e", "<!channel>",
                                                            '{"a":"x","m":"y"}', "http://127.0.0.1:1/x"]))
anything = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(st.text(max_size=10), inner, max_size=3)),
                        max_leaves=8)


@st.composite
def payload(draw):
    """An interaction payload: the right keys, often the wrong values."""
    kind = draw(st.sampled_from(TYPES))
    body = {"type": kind, "team": draw(st.one_of(st.just({"id": "T0TEST"}), anything)),
            "user": draw(st.one_of(st.just({"id": uid("U"), "name": "x"}), anything))}
    for key, value in (("trigger_id", st.one_of(st.just(f"t.{uid('T')}"), anything)),
                       ("response_url", st.one_of(st.just("http://127.0.0.1:9/hooks/x"), anything)),
                       ("callback_id", st.sampled_from(["check_before_posting", "check_draft", "escalate_submit",
                                                        "resolve_submit", "zzz"])),
                       ("container", anything), ("channel", anything), ("message", anything),
                       ("actions", st.one_of(st.lists(st.fixed_dictionaries(
                           {"action_id": st.sampled_from(ACTIONS), "value": anything, "block_id": anything}),
                           max_size=2), anything)),
                       ("view", st.one_of(st.fixed_dictionaries(
                           {"id": anything, "callback_id": st.sampled_from(["check_draft", "escalate_submit",
                                                                          "resolve_submit"]),
                            "private_metadata": anything, "state": anything}), anything))):
        if draw(st.booleans()):
            body[key] = draw(value)
    return body


@st.composite
def event(draw):
    inner = {"type": draw(st.sampled_from(["app_mention", "message", "app_home_opened", "reaction_added", ""])),
             "user": draw(st.one_of(st.just(uid("U")), anything)), "text": draw(anything),
             "channel": draw(st.one_of(st.just(uid("D")), anything)), "ts": draw(anything),
             "channel_type": draw(st.sampled_from(["im", "channel", "group", None])),
             "thread_ts": draw(anything), "subtype": draw(st.sampled_from([None, "bot_message", "message_changed"]))}
    return {"type": "event_callback", "team_id": "T0TEST", "event_id": f"Ev{uid('F')}",
            "event": draw(st.one_of(st.just(inner), anything))}


@st.composite
def request(draw):
    form = "application/x-www-form-urlencoded"
    shape = draw(st.sampled_from(["payload", "event", "command", "ssl_check", "raw", "json"]))
    if shape == "payload":
        value = draw(st.one_of(payload().map(json.dumps), st.text(max_size=50)))
        body, content_type = urllib.parse.urlencode({"payload": value}), form
    elif shape == "event":
        body, content_type = json.dumps(draw(event())), "application/json"
    elif shape == "command":
        fields = draw(st.dictionaries(st.sampled_from(["command", "text", "user_id", "channel_id", "trigger_id",
                                                       "response_url", "team_id"]),
                                      st.text(max_size=30), max_size=7))
        body, content_type = urllib.parse.urlencode(fields), form
    elif shape == "ssl_check":
        body, content_type = urllib.parse.urlencode({"ssl_check": draw(st.sampled_from(["1", "0", ""])),
                                                     "token": draw(st.text(max_size=10))}), form
    elif shape == "json":
        body, content_type = json.dumps(draw(anything)), "application/json"
    else:
        body = draw(st.binary(max_size=300)).decode("utf-8", "replace")
        content_type = draw(st.sampled_from([form, "application/json", "text/plain", "multipart/form-data"]))
    return body, content_type, draw(st.booleans())


def test_no_malformed_request_gets_a_5xx_or_leaves_an_error(slack, app):
    logged_before = len(app.logs())
    statuses = []

    @seed(20261124)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck),
              print_blob=True)
    @given(request())
    def send(case):
        body, content_type, signed = case
        reply = slack.post(body, content_type, sign=signed)
        statuses.append(reply.status)
        assert reply.status < 500, (case, reply)
        if not signed:
            assert reply.status == 401, (case, reply)

    send()
    assert len(statuses) >= EXAMPLES and 200 in statuses and 401 in statuses
    time.sleep(2.0)  # the work after the acknowledgements
    errors = [e for e in app.logs()[logged_before:] if e.get("level") == "error" or "unparsed" in e]
    assert errors == [], errors[:3]
