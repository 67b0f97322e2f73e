"""``canipost serve``: answer in Slack.

Socket Mode when ``SLACK_APP_TOKEN`` is set (``--http`` forces HTTP); otherwise an HTTP
server on ``PORT`` (or ``--port``) with Slack's endpoint at ``/slack/events``. Either way
``/healthz`` answers on that port. SIGTERM stops it cleanly; SIGHUP reloads the knowledge
base. docs/slack.md covers the Slack side.
"""

from __future__ import annotations

import argparse

from ..config import ConfigError, Settings
from ..logs import configure
from . import bounded_int


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "serve", help="answer in Slack (Socket Mode if SLACK_APP_TOKEN is set, else HTTP on PORT)",
        description="Serve the Slack app: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP with Slack's "
                    "endpoint at /slack/events. /healthz answers on the same port in both modes. "
                    "SIGTERM stops it cleanly; SIGHUP reloads the knowledge base.")
    parser.add_argument("--http", action="store_true", help="serve HTTP even if SLACK_APP_TOKEN is set")
    parser.add_argument("--port", type=bounded_int(1, 65535), help="port to listen on (default: $PORT, else 3000)")
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on (default: all, 0.0.0.0)")
    parser.set_defaults(func=run)


def required(settings: Settings, http: bool) -> None:
    """The settings serving cannot start without, named by their variable."""
    problem = settings.api_url_problem()
    if problem:
        raise ConfigError(f"SLACK_API_URL {settings.slack_api_url}: {problem}; use an https:// URL "
                          "(see docs/slack.md)")
    if not settings.slack_bot_token:
        raise ConfigError("SLACK_BOT_TOKEN is not set: copy the app's Bot User OAuth Token (xoxb-...) into it "
                          "(see docs/slack.md)")
    socket_mode = bool(settings.slack_app_token) and not http
    # Socket Mode requests come over Slack's own authenticated connection, not signed HTTP.
    if not socket_mode and not settings.slack_signing_secret:
        raise ConfigError("SLACK_SIGNING_SECRET is not set: copy the app's Signing Secret (Basic Information) "
                          "into it (see docs/slack.md)")


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    required(settings, args.http)
    configure(settings)
    from ..slack.server import serve

    return serve(settings, http=args.http, host=args.host, port=args.port)
