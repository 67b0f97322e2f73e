"""Listeners, one module per kind of request Slack sends.

Each keeps its request's work in the outbox and acknowledges at once (see
:func:`common.queued`); the work is done afterwards, once, whatever Slack retries.
"""

from __future__ import annotations

from . import actions, commands, events, shortcuts, views


def register_listeners(app, services) -> None:
    for module in (events, commands, shortcuts, actions, views):
        module.register(app, services)
