"""A stand-in for Slack's Socket Mode endpoint, on loopback, speaking its protocol over a real
WebSocket: ``hello`` when a client connects, envelopes (events, commands, interactions) that
the client must acknowledge with their ``envelope_id``, and ``disconnect`` (``refresh_requested``,
as Slack sends every few hours, or ``link_disabled``).

Clients reach it through a TCP relay that a test can cut (a dropped connection) or freeze (a
connection that is silently dead: still open, nothing gets through either way), the two ways
a network fails a long-lived connection.

    server = SocketModeServer().start()
    standin.socket_url = server.url            # what apps.connections.open hands out
    acked = server.send("events_api", event_callback_body)   # seconds until the app's ack
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
import uuid
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve


class Relay:
    """Forwards TCP connections from its port to ``target``; can cut or freeze them."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.frozen: set[socket.socket] = set()  # connections where nothing gets through any more
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.pairs.append((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            if not data:
                for s in (source, sink):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                return
            while source in self.frozen:
                time.sleep(0.05)  # a dead network: nothing goes through, nothing is closed
            try:
                sink.sendall(data)
            except OSError:
                return

    def cut(self) -> None:
        """Drop every connection, as a network that resets them."""
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for client, upstream in pairs:
            for s in (client, upstream):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass

    def freeze(self) -> None:
        """Make every open connection silently dead (new connections get through)."""
        with self.lock:
            self.frozen |= {s for pair in self.pairs for s in pair}

    def stop(self) -> None:
        self.listener.close()
        self.cut()


class SocketModeServer:
    def __init__(self) -> None:
        self.connections: list[ServerConnection] = []
        self.hellos = 0
        self.acks: dict[str, tuple[float, dict]] = {}
        self.lock = threading.Lock()
        self.acked = threading.Condition(self.lock)
        self._ids = itertools.count(1)
        self.server = serve(self._handle, "127.0.0.1", 0, compression=None, ping_interval=None)
        self.relay = Relay(("127.0.0.1", self.server.socket.getsockname()[1]))
        self.url = f"ws://127.0.0.1:{self.relay.port}/link/?ticket="

    def start(self) -> "SocketModeServer":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.relay.stop()
        self.server.shutdown()

    def _handle(self, connection: ServerConnection) -> None:
        with self.lock:
            self.connections.append(connection)
            self.hellos += 1
        connection.send(json.dumps({"type": "hello", "num_connections": len(self.live()),
                                    "debug_info": {"host": "canipost-test", "approximate_connection_time": 18060},
                                    "connection_info": {"app_id": "A0CANIPOST"}}))
        try:
            for message in connection:
                data = json.loads(message)
                if "envelope_id" in data:
                    with self.lock:
                        self.acks[data["envelope_id"]] = (time.monotonic(), data.get("payload") or {})
                        self.acked.notify_all()
        except (ConnectionClosed, ValueError):
            pass
        finally:
            with self.lock:
                if connection in self.connections:
                    self.connections.remove(connection)

    def live(self) -> list[ServerConnection]:
        return [c for c in self.connections if c.protocol.state.name == "OPEN"]

    def wait_connected(self, hellos: int = 1, timeout: float = 30) -> float:
        """Seconds until at least ``hellos`` clients in all have said hello, and one is open."""
        started = time.monotonic()
        while self.hellos < hellos or not self.live():
            if time.monotonic() - started > timeout:
                raise AssertionError(f"no Socket Mode connection within {timeout} s (hellos: {self.hellos})")
            time.sleep(0.02)
        return time.monotonic() - started

    def send(self, kind: str, payload: dict[str, Any], timeout: float = 10) -> float:
        """Send one envelope on the newest open connection; seconds until the app acknowledges it."""
        envelope_id = f"{next(self._ids)}-{uuid.uuid4()}"
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                    "accepts_response_payload": kind != "events_api", "retry_attempt": 0, "retry_reason": ""}
        started = time.monotonic()
        with self.lock:
            connection = self.live()[-1]
        connection.send(json.dumps(envelope))
        with self.lock:
            if not self.acked.wait_for(lambda: envelope_id in self.acks, timeout):
                raise AssertionError(f"envelope {envelope_id} was not acknowledged within {timeout} s")
            return self.acks[envelope_id][0] - started

    def refresh(self) -> None:
        """What Slack does every few hours: ask the client to reconnect, then close the old link."""
        with self.lock:
            connections = self.live()
        for connection in connections:
            connection.send(json.dumps({"type": "disconnect", "reason": "refresh_requested",
                                        "debug_info": {"host": "canipost-test"}}))
