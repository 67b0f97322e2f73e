"""What Slack's requests look like, as far as canipost reads them.

A signed request whose fields have other types than Slack gives them (an event that is not an
object, a user id that is a number, actions that are not a list) could only be forged or
broken; it is refused with 400 before Bolt or a listener reads it, rather than failing somewhere
inside them.
"""

from __future__ import annotations

from typing import Any, Mapping

TEXT = (str,)
OBJECT_OR_TEXT = (dict, str)

#: Field -> the type(s) Slack sends, or the shape of the object or list it holds. A field may
#: be missing or null (which fields a request has depends on its kind), unless REQUIRED says so.
SHAPE: dict[str, Any] = {
    "type": TEXT, "token": TEXT, "team_id": TEXT, "user_id": TEXT, "user_name": TEXT, "channel_id": TEXT,
    "api_app_id": TEXT, "trigger_id": TEXT, "response_url": TEXT, "callback_id": TEXT, "command": TEXT,
    "text": TEXT, "event_id": TEXT, "challenge": TEXT, "ssl_check": TEXT, "action_ts": TEXT, "message_ts": TEXT,
    "user": OBJECT_OR_TEXT, "team": OBJECT_OR_TEXT, "channel": OBJECT_OR_TEXT, "enterprise": OBJECT_OR_TEXT,
    "container": {"type": TEXT, "channel_id": TEXT, "message_ts": TEXT, "view_id": TEXT},
    "message": {"text": TEXT, "ts": TEXT, "user": TEXT},
    "view": {"id": TEXT, "callback_id": TEXT, "private_metadata": TEXT, "hash": TEXT, "type": TEXT,
             "state": {"values": {"*": {"*": {"type": TEXT, "value": TEXT, "selected_option": {"value": TEXT},
                                              "selected_options": [{"value": TEXT}]}}}}},
    "actions": [{"action_id": TEXT, "block_id": TEXT, "value": TEXT, "type": TEXT}],
    "authorizations": [{"team_id": TEXT, "user_id": TEXT}],
    "event": {"type": TEXT, "user": OBJECT_OR_TEXT, "text": TEXT, "channel": OBJECT_OR_TEXT, "ts": TEXT,
              "thread_ts": TEXT, "channel_type": TEXT, "subtype": TEXT, "bot_id": TEXT, "tab": TEXT,
              "event_ts": TEXT},
}
#: Request kind -> the fields it cannot do without (Bolt reads them before any listener).
REQUIRED = {"event_callback": ("event",), "block_actions": ("actions", "user"), "interactive_message": ("actions",),
            "view_submission": ("view", "user"), "view_closed": ("view",)}
#: A slash command's work is done after the acknowledgement, from what it carries: without these
#: it could be neither answered nor told why.
COMMAND_FIELDS = ("user_id", "trigger_id", "response_url")


def well_formed(body: Mapping[str, Any]) -> bool:
    """Whether ``body`` (a parsed request) has the types Slack gives every field canipost reads."""
    if not _fits(body, SHAPE):
        return False
    if body.get("command"):
        return all(body.get(name) for name in COMMAND_FIELDS)
    required = REQUIRED.get(body.get("type") if isinstance(body.get("type"), str) else "", ())
    return all(isinstance(body.get(name), (dict, list)) and body.get(name) for name in required)


def _fits(value: Any, shape: Any) -> bool:
    if value is None:
        return True
    if isinstance(shape, tuple):
        return isinstance(value, shape)
    if isinstance(shape, list):
        return isinstance(value, list) and all(_fits(item, shape[0]) for item in value)
    if not isinstance(value, dict):
        return False
    every = shape.get("*")
    return all(_fits(item, shape.get(key, every)) for key, item in value.items()
               if key in shape or every is not None)
