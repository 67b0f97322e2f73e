"""Telling Slack that a case moved on: the asker's direct message when it is resolved, and
the case's notice in the advisors' channel.

The Slack app's buttons and the advisors' command line both use these, so a case resolved
at a terminal reaches the asker the same way as one resolved in Slack. Each raises
:class:`slack_sdk.errors.SlackApiError` when Slack refuses; callers decide what a failure means.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from . import blocks


def tell_asker(client: WebClient, case: Any) -> bool:
    """Send the asker the advisor's answer; False when the asker is not a Slack user."""
    if not blocks.is_slack_user(case.asker_id):
        return False
    text, message_blocks = blocks.resolution_message(case)
    client.chat_postMessage(channel=case.asker_id, text=text, blocks=message_blocks, unfurl_links=False,
                            unfurl_media=False)
    return True


def refresh_notice(client: WebClient, case: Any) -> bool:
    """Show the case's current status in its notice; False when it was never announced."""
    if not (case.notice_channel and case.notice_ts):
        return False
    text, notice = blocks.escalation_notice(case)
    client.chat_update(channel=case.notice_channel, ts=case.notice_ts, text=text, blocks=notice)
    return True
