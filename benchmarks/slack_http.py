"""How fast the HTTP service acknowledges Slack: signed slash commands over keep-alive
connections on loopback, against ``canipost serve --http`` started as in production.

    python3 benchmarks/slack_http.py [--connections 50] [--duration 10] [--warmup 2] [--rate N] [--worst-case N]

A stand-in for the Slack Web API (and the commands' response URLs) runs in this process;
canipost runs as its own process, pointed at it with SLACK_API_URL. Every request is a real
``/canipost`` command with a fresh signature and its own trigger id, so each one is checked,
acknowledged, answered, logged to the answer log and replied to through its response URL.

By default each connection sends its next command as soon as the last is acknowledged (the
most the service acknowledges); ``--rate N`` instead offers N commands a second in all,
spread over the connections (how it behaves at a given load).

``--worst-case N`` keeps N more commands in flight all the time, each a 40,000-character
draft of the engine's worst shape (tests/engine/shapes.py): each connection sends the next
once the last is answered. The ordinary commands' acknowledgements are what is measured.

Prints acknowledgements per second and the time to acknowledge (p50, p99, max), how many were
told canipost was busy (past CANIPOST_QUEUE_LIMIT), how long the answers took to reach their
response URLs, and the peak memory of the service and of its answering processes. Target on a
2-core machine: at least 200 acknowledgements per second with p99 under 100 ms, with or
without four worst-case drafts in flight; memory bounded however hard it is flooded.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-1111111111-2222222222-benchmarkbenchmark"
DRAFTS = [
    "Can I post photos of the new office fit-out on my personal Instagram?",
    "The minister is an idiot and this policy will fail, share if you agree",
    "PROTECTED: draft budget figures attached, thoughts?",
    "Proud of my team for launching the new grants portal today!",
    "--professional As an economist, here is my take on the latest inflation figures",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the stand-in for Slack: every Web API call and response URL gets {"ok": true} ------------

class StandIn:
    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.answered_at: dict[int, float] = {}
        self.port = 0
        self.server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                length = next((int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")), 0)
                if length:
                    await reader.readexactly(length)
                kind = path.rsplit("/", 1)[-1] if path.startswith("/api/") else "response_url"
                self.calls[kind] = self.calls.get(kind, 0) + 1
                if kind == "response_url":
                    self.answered_at[int(path.split("/")[3])] = time.monotonic()
                body = {"ok": True}
                if kind == "auth.test":
                    body.update(user_id="UBENCHBOT", bot_id="BBENCH", team_id="TBENCH", user="canipost", team="Bench")
                payload = json.dumps(body).encode()
                close = any(line.lower() == "connection: close" for line in lines)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                             + str(len(payload)).encode() + (b"\r\nConnection: close" if close else b"") + b"\r\n\r\n" + payload)
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


# -- the client: Slack's side -----------------------------------------------------------------

def worst_draft() -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.engine.shapes import SHAPES

    return SHAPES[WORST_SHAPE](40_000)


# Among the slowest shapes in benchmarks/engine.py (0.8 s of CPU at 40,000 characters).
WORST_SHAPE = "digits and spaces"


def signed_command(port_standin: int, n: int, text: str | None = None) -> tuple[bytes, dict[str, str]]:
    body = urllib.parse.urlencode({
        "token": "deprecated", "team_id": "TBENCH", "team_domain": "bench", "channel_id": "CBENCH",
        "channel_name": "general", "user_id": f"UBENCH{n % 97}", "user_name": "bench", "command": "/canipost",
        "text": text or DRAFTS[n % len(DRAFTS)], "api_app_id": "ABENCH", "is_enterprise_install": "false",
        "response_url": f"http://127.0.0.1:{port_standin}/commands/TBENCH/{n}/x", "trigger_id": f"{n}.bench.{time.time_ns()}",
    })
    timestamp = str(int(time.time()))
    signature = "v0=" + hmac.new(SECRET.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return body.encode(), {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ")[1])
    headers = {line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip() for line in head[1:] if ":" in line}
    body = b""
    if headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            body += (await reader.readexactly(size + 2))[:-2]
            if size == 0:
                break
    elif "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    return status, body


def http_request(port: int, body: bytes, headers: dict[str, str]) -> bytes:
    return (f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode() + body


async def worst_case(port: int, standin: "StandIn", stop_at: float, counter: list[int], text: str,
                     answered: list[float]) -> None:
    """One worst-case draft in flight at all times: the next is sent when the last is answered."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.monotonic() < stop_at:
            counter[0] += 1
            n = counter[0]
            body, headers = signed_command(standin.port, n, text)
            sent = time.monotonic()
            writer.write(http_request(port, body, headers))
            await writer.drain()
            await read_response(reader)
            while n not in standin.answered_at and time.monotonic() < stop_at + 30:
                await asyncio.sleep(0.01)
            if n in standin.answered_at:
                answered.append(standin.answered_at[n] - sent)
    finally:
        writer.close()


async def connection(port: int, standin: int, stop_at: float, record_from: float, counter: list[int],
                     latencies: list[float], errors: list[str], sent_at: dict[int, float],
                     interval: float | None, busy: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    next_at = time.monotonic() + (random.random() * interval if interval else 0)
    try:
        while time.monotonic() < stop_at:
            if interval:
                await asyncio.sleep(max(next_at - time.monotonic(), 0))
                next_at += interval
            counter[0] += 1
            n = counter[0]
            body, headers = signed_command(standin, n)
            started = time.monotonic()
            writer.write(http_request(port, body, headers))
            await writer.drain()
            status, reply = await read_response(reader)
            elapsed = time.monotonic() - started
            told_busy = b"busy" in reply
            if told_busy:
                busy.append(n)
            elif started >= record_from:
                sent_at[n] = started
            if started >= record_from:
                if status == 200:
                    latencies.append(elapsed)
                else:
                    errors.append(f"HTTP {status}")
    finally:
        writer.close()


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found + [g for c in found for g in _children(c)]


def _peak_memory_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run(args: argparse.Namespace) -> int:
    standin = StandIn()
    await standin.start()
    port = free_port()
    work = Path(tempfile.mkdtemp(prefix="canipost-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CANIPOST_"))} | {
        "SLACK_API_URL": f"http://127.0.0.1:{standin.port}/api/", "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET, "CANIPOST_DATA_DIR": str(work / "data"), "CANIPOST_LOG_LEVEL": "WARNING",
    }
    log_file = open(work / "app.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "canipost", "serve", "--http", "--host", "127.0.0.1",
                                "--port", str(port)], env=env, cwd=work, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = f"http://127.0.0.1:{port}/healthz"
                await asyncio.to_thread(lambda: urllib.request.urlopen(health, timeout=1).read())
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    print((work / "app.log").read_text(), file=sys.stderr)
                    return 1
                await asyncio.sleep(0.1)
        counter, latencies, errors, sent_at, busy, worst_answered = [0], [], [], {}, [], []
        cpu_before = _cpu_seconds(process.pid)
        interval = args.connections / args.rate if args.rate else None
        start = time.monotonic()
        record_from = start + args.warmup
        stop_at = record_from + args.duration
        draft = worst_draft() if args.worst_case else ""
        await asyncio.gather(*(connection(port, standin.port, stop_at, record_from, counter, latencies, errors,
                                          sent_at, interval, busy) for _ in range(args.connections)),
                             *(worst_case(port, standin, stop_at, counter, draft, worst_answered)
                               for _ in range(args.worst_case)))
        measured = min(time.monotonic(), stop_at) - record_from
        acked_total = len(sent_at)
        drain_from = time.monotonic()
        while (sum(1 for n in sent_at if n in standin.answered_at) < acked_total
               and time.monotonic() - drain_from < 60):
            await asyncio.sleep(0.05)
        drained = time.monotonic() - drain_from
        answered = sum(1 for n in sent_at if n in standin.answered_at)
        delivery = [standin.answered_at[n] - t for n, t in sent_at.items() if n in standin.answered_at]
        peak = _peak_memory_mb(process.pid)
        workers = [m for m in (_peak_memory_mb(c) for c in _children(process.pid)) if m]
        cpu_after = _cpu_seconds(process.pid)

        load = f"offered {args.rate:g} per second" if args.rate else "each as fast as it is acknowledged"
        print(f"canipost serve --http, {args.connections} keep-alive connections ({load}), signed /canipost "
              f"commands, {args.duration:g} s measured after {args.warmup:g} s warm-up ({os.cpu_count()} CPUs)")
        if not latencies:
            print("no acknowledgements measured", file=sys.stderr)
            return 1
        if args.worst_case:
            print(f"  plus {args.worst_case} worst-case drafts ({WORST_SHAPE}, 40,000 characters) in flight at all "
                  f"times: {len(worst_answered)} answered, each in a median "
                  f"{statistics.median(worst_answered) if worst_answered else float('nan'):.2f} s")
        print(f"  acknowledgements: {len(latencies)} in {measured:.1f} s = {len(latencies) / measured:.0f} per second"
              f" ({len(errors)} errors; {len(busy)} told canipost was busy)")
        print(f"  time to acknowledge: p50 {percentile(latencies, 0.50) * 1000:.1f} ms, "
              f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms, "
              f"mean {statistics.mean(latencies) * 1000:.1f} ms")
        print(f"  answers delivered to response URLs: {answered} of the {acked_total} commands taken on; the last "
              f"{drained:.1f} s after the load stopped")
        if delivery:
            print(f"  time from command to answer delivered: p50 {percentile(delivery, 0.50) * 1000:.0f} ms, "
                  f"p99 {percentile(delivery, 0.99) * 1000:.0f} ms")
        if cpu_before is not None and cpu_after is not None:
            print(f"  service CPU time: {(cpu_after - cpu_before) * 1000 / max(acked_total, 1):.1f} ms per command, "
                  "acknowledging and answering it")
        if peak:
            print(f"  service peak memory (VmHWM): {peak:.0f} MB; answering processes "
                  + ", ".join(f"{m:.0f} MB" for m in workers))
        target = len(latencies) / measured >= 200 and percentile(latencies, 0.99) < 0.100 and not errors
        print(f"  target (>= 200/s, p99 < 100 ms): {'met' if target else 'NOT met'}")
        return 0 if target else 1
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
        log_file.close()
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rate", type=float, help="offer this many commands a second in all (default: as fast as acknowledged)")
    parser.add_argument("--worst-case", type=int, default=0, help="keep this many worst-case drafts in flight too")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
