"""A modal's private_metadata, sealed: what the app wrote into a form comes back as it was, or
is refused.

Slack returns a modal's private_metadata unchanged with its submission, and it names things
the submission acts on: the answer to escalate, the response URL to reply to, the message to
update, the case to resolve. A keyed MAC over it (HMAC-SHA256, keyed from the app's own
secrets) means a submission carrying anything the app did not write is refused, however it
was made.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any, Iterable, Mapping

MAC_FIELD = "m"


def seal_key(secrets: Iterable[str]) -> bytes:
    """The sealing key, derived from the app's secrets (never stored, never sent)."""
    return hashlib.sha256(b"canipost private_metadata\0" + "\0".join(secrets).encode("utf-8")).digest()


def _mac(key: bytes, values: Mapping[str, Any]) -> str:
    body = json.dumps(values, separators=(",", ":"), sort_keys=True, ensure_ascii=True).encode("ascii")
    return base64.urlsafe_b64encode(hmac.new(key, body, hashlib.sha256).digest()[:18]).decode("ascii")


def seal(key: bytes, **values: Any) -> str:
    """``values`` (None ones left out) as compact JSON for private_metadata, with their MAC."""
    kept = {k: v for k, v in values.items() if v is not None}
    return json.dumps({**kept, MAC_FIELD: _mac(key, kept)}, separators=(",", ":"))


def unseal(key: bytes, metadata: str | None) -> dict[str, Any] | None:
    """The values sealed in ``metadata``, or None when it is not exactly what :func:`seal` wrote."""
    try:
        data = json.loads(metadata or "")
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    mac = data.pop(MAC_FIELD, None)
    if not isinstance(mac, str) or not hmac.compare_digest(mac, _mac(key, data)):
        return None
    return data
