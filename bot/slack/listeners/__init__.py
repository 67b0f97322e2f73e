"""Listeners, one module per kind of request Slack sends.

Each acknowledges at once and does its work in a lazy listener (see :func:`common.lazy`):
once per delivery, whatever Slack retries.
"""

from __future__ import annotations

from . import actions, commands, events, shortcuts, views


def register_listeners(app, services) -> None:
    for module in (events, commands, shortcuts, actions, views):
        module.register(app, services)
