"""canipost in Slack: mentions, direct messages, the ``/canipost`` command, the "Check before
posting" message shortcut, escalations to the ethics advisors, and the App Home.

    app.py        build_app(settings, services): the Bolt app and the services it runs on
    blocks.py     every Block Kit payload, escaping and Slack's limits (pure functions)
    listeners/    one module per kind of request (events, commands, shortcuts, actions, views)
    notify.py     telling Slack a case moved on (the asker's answer, the notice), for buttons and CLI
    manifest.py   the scopes, events, command and shortcut the app uses (deploy/manifest.yml agrees)
    server.py     the ASGI app for HTTP mode (/slack/events, /healthz) and its lifecycle

``canipost serve`` (``canipost.cli.serve``) runs it; docs/slack.md explains the setup.
"""
