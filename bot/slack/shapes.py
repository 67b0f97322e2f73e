"""What a well-formed Slack request looks like, as far as canipost's listeners rely on it.

The HTTP door asks :func:`malformed` of every signed request before Bolt sees it: a body
Slack would never send (broken JSON, an event that is not an object, a command with no
response URL) is refused with a 400 and one log line, instead of failing somewhere inside
with a traceback. Socket Mode envelopes come over Slack's own connection and are read by
the same listeners, which tolerate what this lets through.
"""

from __future__ import annotations

from typing import Any, Mapping

from slack_bolt.request.internals import parse_body

# Interactive payloads, and what each must carry for its listener.
INTERACTIONS: dict[str, tuple[str, ...]] = {
    "block_actions": ("user", "actions"),
    "message_action": ("user", "trigger_id", "response_url", "message"),
    "shortcut": ("user", "trigger_id"),
    "view_submission": ("user", "view"),
    "view_closed": ("user", "view"),
    "block_suggestion": ("user",),
}
COMMAND_FIELDS = ("command", "user_id", "trigger_id", "response_url")


def malformed(body: str, content_type: str | None) -> str | None:
    """Why ``body`` is not a request Slack sends, or None when it is one."""
    try:
        data = parse_body(body, content_type)
    except ValueError:
        return "the body is not valid JSON"
    if not isinstance(data, Mapping):
        return "the body is not a JSON object"
    if "command" in data:
        missing = [name for name in COMMAND_FIELDS if not data.get(name)]
        return f"a slash command without {', '.join(missing)}" if missing else None
    kind = data.get("type")
    if kind in ("url_verification", "ssl_check"):
        return None
    if kind == "event_callback":
        event = data.get("event")
        if not isinstance(event, Mapping) or not isinstance(event.get("type"), str):
            return "an event callback without an event"
        return None if data.get("event_id") else "an event callback without an event id"
    if kind in INTERACTIONS:
        missing = [name for name in INTERACTIONS[kind] if not data.get(name)]
        if missing:
            return f"a {kind} payload without {', '.join(missing)}"
        return _nested(data)
    return "not a kind of request Slack sends"


def _nested(data: Mapping[str, Any]) -> str | None:
    """The parts the listeners index into must be objects and lists of objects."""
    if not isinstance(data.get("user"), Mapping):
        return "a payload whose user is not an object"
    actions = data.get("actions")
    if actions is not None and not (isinstance(actions, list) and all(isinstance(a, Mapping) for a in actions)):
        return "a payload whose actions are not a list of objects"
    for name in ("view", "message", "container", "channel", "team"):
        if data.get(name) is not None and not isinstance(data[name], Mapping):
            return f"a payload whose {name} is not an object"
    return None
