"""deploy/manifest.yml asks Slack for exactly what the code uses: every scope, event, command
and shortcut, and no scope more."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from canipost.slack import manifest

REPO = Path(__file__).resolve().parents[2]
MANIFEST = yaml.safe_load((REPO / "deploy" / "manifest.yml").read_text())
# A Web API call in the code: client.chat_postMessage(...), or passed on as client.views_update.
API_CALL = re.compile(r"\bclient\.((?:admin|apps|auth|bots|channels|chat|conversations|dnd|emoji|files|groups|im|pins|"
                      r"reactions|reminders|search|stars|team|usergroups|users|views|workflows)_[A-Za-z_]+)\b")


def test_bot_scopes_are_the_code_s():
    assert sorted(MANIFEST["oauth_config"]["scopes"]["bot"]) == sorted(manifest.BOT_SCOPES)
    assert "user" not in MANIFEST["oauth_config"]["scopes"], "no user token scopes"


def test_every_scope_is_needed_by_a_method_or_event_the_app_uses():
    needed = {s for s in manifest.METHOD_SCOPES.values() if s} | {s for s in manifest.EVENT_SCOPES.values() if s}
    assert set(manifest.BROAD_SCOPES) == needed | {"commands"}
    assert set(manifest.BOT_SCOPES) == set(manifest.BROAD_SCOPES) - set(manifest.THREAD_FOLLOW_UP_SCOPES)


def test_the_default_scopes_cannot_read_channel_messages_and_the_broad_set_is_a_documented_choice():
    """Issue 12, item 8: channels:history and groups:history (every message in every channel the
    app is in) only when an operator chooses thread follow-ups without a mention."""
    scopes = MANIFEST["oauth_config"]["scopes"]["bot"]
    events = MANIFEST["settings"]["event_subscriptions"]["bot_events"]
    assert not {"channels:history", "groups:history"} & set(scopes)
    assert not {"message.channels", "message.groups"} & set(events) and "message.im" in events
    text = (REPO / "deploy" / "manifest.yml").read_text()
    commented = set(re.findall(r"^\s*# - ([a-z_.:]+)\s+# broad", text, flags=re.MULTILINE))
    assert commented == set(manifest.THREAD_FOLLOW_UP_SCOPES) | set(manifest.THREAD_FOLLOW_UP_EVENTS)
    guide = (REPO / "docs" / "slack.md").read_text()
    assert "Thread follow-ups" in guide and "channels:history" in guide


def test_every_web_api_method_the_code_calls_is_accounted_for():
    called = set()
    for path in (REPO / "bot" / "slack").rglob("*.py"):
        called |= {m.replace("_", ".") for m in API_CALL.findall(path.read_text())}
    assert called, "the scan found the code's Web API calls"
    assert called <= set(manifest.METHOD_SCOPES), f"add to METHOD_SCOPES: {sorted(called - set(manifest.METHOD_SCOPES))}"


def test_events_command_and_shortcut():
    settings, features = MANIFEST["settings"], MANIFEST["features"]
    assert sorted(settings["event_subscriptions"]["bot_events"]) == sorted(manifest.BOT_EVENTS)
    assert [c["command"] for c in features["slash_commands"]] == list(manifest.COMMANDS)
    assert features["slash_commands"][0]["usage_hint"] == manifest.COMMAND_USAGE
    shortcuts = features["shortcuts"]
    assert [s["callback_id"] for s in shortcuts] == list(manifest.SHORTCUTS)
    assert shortcuts[0]["type"] == "message" and shortcuts[0]["name"] == manifest.SHORTCUT_NAME


def test_interactivity_home_and_socket_mode():
    settings, home = MANIFEST["settings"], MANIFEST["features"]["app_home"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    assert home["home_tab_enabled"] and home["messages_tab_enabled"] and not home["messages_tab_read_only_enabled"]
    text = (REPO / "deploy" / "manifest.yml").read_text()
    assert text.count("# request_url: https://") == 2 and "# url: https://" in text, "how to switch to HTTP"
    assert 175 <= len(MANIFEST["display_information"]["long_description"]) <= 4000
