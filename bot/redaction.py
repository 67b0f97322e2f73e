"""The one scrubber for secrets: whatever canipost stores, logs or prints goes through here first.

    scrub("my token is xoxb-123-456-abc", known=settings.secrets())   # 'my token is [redacted]'

It takes out, in this order:

* the secrets canipost was given (its tokens and signing secret), wherever they appear;
* anything shaped like a Slack token (``xoxb-``, ``xoxp-``, ``xapp-``, ``xoxa-``, ``xoxr-``,
  ``xoxs-``, ``xoxe-``), ours or not: a token pasted into a draft is still a token;
* the user and password of a URL (``https://user:pass@proxy/`` keeps its host);
* strings shaped like a signing secret or client secret (32 hexadecimal digits on their own).

It must run before any other masking: the phone-number detector sees the digits of a token as
a phone number, and masking them first would leave the token's secret suffix behind. For the
same reason a token shape still matches when a placeholder has already replaced part of it.
"""

from __future__ import annotations

import re
from typing import Iterable

REDACTED = "[redacted]"

# A Slack token: its prefix, then at least 8 characters of token (or placeholders another
# masking step left inside it, such as "[phone number removed]").
SLACK_TOKEN = re.compile(r"(?i)\bx(?:ox[abeposr]|app)-(?:[A-Za-z0-9-]|\[[a-z ]{1,40}\]){8,}")
URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{1,20}://)[^\s/?#@<>\"']+@")
# Slack's signing secrets (and client secrets) are 32 lowercase hexadecimal digits.
SECRET_LIKE = re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{32}(?![0-9A-Za-z])")


def scrub(text: str, known: Iterable[str] = (), placeholder: str = REDACTED) -> str:
    """``text`` with every secret in ``known`` and anything shaped like a secret replaced."""
    if not text:
        return text
    # Longest first, so that a secret containing another is removed whole.
    for secret in sorted((s for s in known if s), key=len, reverse=True):
        text = text.replace(secret, placeholder)
    text = SLACK_TOKEN.sub(placeholder, text)
    text = URL_CREDENTIALS.sub(lambda m: m.group(1) + placeholder + "@", text)
    return SECRET_LIKE.sub(placeholder, text)
