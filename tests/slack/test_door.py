"""The HTTP door: Slack's endpoint reads at most a small body, within a deadline, before the
signature is even checked; and whatever arrives malformed, signed or not, gets a 4xx and one
log line, never a 500 or a traceback."""

from __future__ import annotations

import json
import socket
import time
import urllib.parse

import pytest

from canipost.slack.server import BODY_TIMEOUT_S, MAX_BODY_BYTES

from .conftest import SECRET
from .driver import Slack


def peak_memory_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def raw_request(port: int, head: bytes, body: bytes = b"", timeout: float = 5) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head + body)
        return sock.recv(65536)


def test_a_body_too_big_is_refused_before_it_is_read(app):
    before = peak_memory_kb(app.process.pid)
    started = time.monotonic()
    for _ in range(16):  # 16 bodies of 30 MB, announced honestly
        head = (b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n" % (30 * 1024 * 1024))
        assert raw_request(app.port, head, b"{" * 4096).startswith(b"HTTP/1.1 413")
    # ... and one that does not say how long it is (chunked), cut off at the limit.
    chunk = b"x" * 65536
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(MAX_BODY_BYTES // len(chunk) + 4))
    head = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert raw_request(app.port, head, body + b"0\r\n\r\n").startswith(b"HTTP/1.1 413")
    assert time.monotonic() - started < 10
    # Peak memory grew by far less than one such body (a blow-up guard, with a wide margin).
    assert peak_memory_kb(app.process.pid) - before < 30 * 1024 / 2
    assert app.health()[0] == 200


def test_connections_that_never_finish_their_body_are_closed(app):
    head = (b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n")
    socks = []
    for _ in range(40):
        sock = socket.create_connection(("127.0.0.1", app.port), timeout=BODY_TIMEOUT_S + 10)
        sock.sendall(head + b'{"type": ')
        socks.append(sock)
    started = time.monotonic()
    answers = [sock.recv(4096) for sock in socks]
    waited = time.monotonic() - started
    for sock in socks:
        sock.close()
    assert all(a.startswith(b"HTTP/1.1 408") for a in answers), answers[:2]
    assert waited < BODY_TIMEOUT_S + 5
    # ... while the service answers everyone else.
    assert app.health()[0] == 200


MALFORMED = {
    "not json": ("{not json", "application/json"),
    "json, not an object": ("[1, 2, 3]", "application/json"),
    "an event with no event": (json.dumps({"type": "event_callback", "event_id": "Ev1", "team_id": "T0TEST"}),
                               "application/json"),
    "an event of no known shape": (json.dumps({"type": "event_callback", "event": "text", "event_id": "Ev2"}),
                                   "application/json"),
    "a form with a broken payload": (urllib.parse.urlencode({"payload": "{broken"}), "application/x-www-form-urlencoded"),
    "a payload of no known type": (urllib.parse.urlencode({"payload": json.dumps({"type": "nonsense"})}),
                                   "application/x-www-form-urlencoded"),
    "a command with nothing in it": ("command=%2Fcanipost", "application/x-www-form-urlencoded"),
    "an unknown content type": ("hello", "text/plain"),
}


@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_requests_get_a_4xx_and_no_traceback(app, standin, name, signed):
    body, content_type = MALFORMED[name]
    marker = len(app.log_text())
    reply = Slack(app.url, SECRET, standin).post(body, content_type, sign=signed)
    assert 400 <= reply.status < 500 or (signed and reply.status == 200), (reply.status, reply.body)
    time.sleep(0.2)
    written = app.log_text()[marker:]
    assert "Traceback" not in written and '"level": "error"' not in written, written
    assert len(written.splitlines()) <= 1, written


def test_a_signed_body_that_is_not_utf8_is_refused(app):
    import hashlib
    import hmac

    body = b'{"type": "event_callback", "x": "\xff\xfe"}'
    stamp = str(int(time.time()))
    signature = "v0=" + hmac.new(SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    head = (b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"X-Slack-Request-Timestamp: %s\r\nX-Slack-Signature: %s\r\n"
            b"Content-Length: %d\r\n\r\n" % (stamp.encode(), signature.encode(), len(body)))
    assert raw_request(app.port, head, body).startswith(b"HTTP/1.1 400")
