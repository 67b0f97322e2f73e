"""What the Slack app asks of Slack: scopes, events, the command and the shortcut.

``deploy/manifest.yml`` is what an admin pastes into Slack; these constants are what the code
relies on. A test keeps the two in agreement, and another checks that every Web API method
the app calls is listed in :data:`METHOD_SCOPES`; ``canipost doctor`` compares a bot token's
granted scopes with :data:`BOT_SCOPES`.

Least privilege: a scope is here only because a method or event below needs it, and the
default set leaves out the two that would let the app read every message in the channels it is
in (``channels:history``, ``groups:history``). Without them, a follow-up in a thread canipost
answered needs a fresh mention; with them (the broad set, an operator's documented choice:
docs/slack.md), replies in its threads are answered as they come. ``canipost doctor`` says which
set a token has.
"""

from __future__ import annotations

COMMAND = "/canipost"
COMMAND_USAGE = "[--official | --professional] your draft post, or help"
SHORTCUT_CALLBACK_ID = "check_before_posting"
SHORTCUT_NAME = "Check before posting"

#: Web API methods the app calls, and the bot scope each needs (None: no scope needed).
METHOD_SCOPES: dict[str, str | None] = {
    "auth.test": None,
    "chat.postMessage": "chat:write",  # answers in threads and DMs, notices, the asker's DM
    "chat.postEphemeral": "chat:write",  # refusals shown only to the advisor who clicked
    "chat.update": "chat:write",  # answers and notices updated in place
    # Is this thread one canipost answered in? (groups:history in private channels, listed below.)
    "conversations.replies": "channels:history",
    # Did an attempt cut short (a crash) post its message after all? (im:history for DMs, groups:history.)
    "conversations.history": "channels:history",
    "usergroups.users.list": "usergroups:read",  # CANIPOST_ADVISORS as a user group
    "views.open": None,
    "views.update": None,
    "views.publish": None,
}

#: Bot events, and the scope each needs (None: no scope needed).
EVENT_SCOPES: dict[str, str | None] = {
    "app_mention": "app_mentions:read",
    "app_home_opened": None,
    "message.im": "im:history",  # questions sent to canipost directly
    "message.channels": "channels:history",  # replies in a thread canipost answered in
    "message.groups": "groups:history",  # the same in private channels
}

#: Only in the broad set: replies in canipost's threads answered without a mention.
THREAD_FOLLOW_UP_SCOPES: tuple[str, ...] = ("channels:history", "groups:history")
THREAD_FOLLOW_UP_EVENTS: tuple[str, ...] = ("message.channels", "message.groups")

#: The default (narrow) set of events and scopes, as deploy/manifest.yml asks for them.
BOT_EVENTS: tuple[str, ...] = tuple(e for e in EVENT_SCOPES if e not in THREAD_FOLLOW_UP_EVENTS)
#: ``commands`` covers both the slash command and the message shortcut.
BROAD_SCOPES: tuple[str, ...] = tuple(sorted(
    {s for s in METHOD_SCOPES.values() if s} | {s for s in EVENT_SCOPES.values() if s} | {"commands"}
))
BOT_SCOPES: tuple[str, ...] = tuple(s for s in BROAD_SCOPES if s not in THREAD_FOLLOW_UP_SCOPES)

COMMANDS: tuple[str, ...] = (COMMAND,)
SHORTCUTS: tuple[str, ...] = (SHORTCUT_CALLBACK_ID,)
