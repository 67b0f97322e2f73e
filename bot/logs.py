"""Structured logs: one JSON object a line on standard error, safe to ship anywhere.

    from canipost.logs import configure, log, request_scope, text_field
    configure(settings)
    with request_scope():                       # a request id on every line inside
        log("answered", verdict="ok", **text_field(text))

Logs never contain tokens or signing secrets (they are redacted wherever they appear) and
never the full text of a question or draft unless ``CANIPOST_LOG_TEXT=1``: by default a
text is logged as its length and a short fingerprint, enough to correlate, not to read.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import hashlib
import json
import logging
import re
import sys
import uuid
from typing import Any, Iterator

from .redaction import scrub

LOGGER = logging.getLogger("canipost")
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("canipost_request_id", default=None)
_state = {"log_text": False, "secrets": ()}


def redact(text: str) -> str:
    """``text`` with every known secret, and anything shaped like a secret, replaced."""
    return scrub(text, _state["secrets"])


# The Slack libraries put raw request bodies (a user's draft, URL-encoded) into some messages,
# e.g. when a signature fails; those parts are withheld unless full texts may be logged.
_LIBRARY_BODY = re.compile(r"(body:\s*).*|(\()\{.*\}(\))", re.DOTALL)


def _withhold_bodies(message: str) -> str:
    return _LIBRARY_BODY.sub(lambda m: (m.group(1) + "[withheld]") if m.group(1) else "({withheld})", message)


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, event, request id, fields."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.name.startswith(("slack_bolt", "slack_sdk")) and not _state["log_text"]:
            message = _withhold_bodies(message)
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": message,
        }
        request_id = getattr(record, "request_id", None) or _request_id.get()
        if request_id:
            entry["request_id"] = request_id
        entry.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, ensure_ascii=False, default=str))


def configure(settings=None, stream=None) -> None:
    """Send canipost's logs (and the libraries') as JSON lines to ``stream`` (stderr)."""
    level = getattr(settings, "log_level", "INFO")
    _state["log_text"] = bool(getattr(settings, "log_text", False))
    _state["secrets"] = tuple(settings.secrets()) if settings is not None else ()
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if isinstance(old.formatter, JsonFormatter):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # The Slack libraries log request bodies at DEBUG; keep them at INFO or quieter.
    for name in ("slack_bolt", "slack_sdk", "urllib3"):
        logging.getLogger(name).setLevel(max(logging.getLevelName(level), logging.INFO))


def log(event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log ``event`` with ``fields`` as one JSON line."""
    LOGGER.log(level, event, extra={"fields": fields})


@contextlib.contextmanager
def request_scope(request_id: str | None = None) -> Iterator[str]:
    """Tag every log line inside with one request id (a new one unless given)."""
    token = _request_id.set(request_id or uuid.uuid4().hex[:12])
    try:
        yield _request_id.get() or ""
    finally:
        _request_id.reset(token)


def current_request_id() -> str | None:
    return _request_id.get()


def text_field(text: str, name: str = "text") -> dict[str, Any]:
    """A user's text as it may be logged: in full only with CANIPOST_LOG_TEXT=1."""
    if _state["log_text"]:
        return {name: text}
    digest = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:12]
    return {f"{name}_chars": len(text), f"{name}_sha256": digest}
