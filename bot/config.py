"""Configuration: read once at start-up from the environment (and a ``.env`` file if present).

Every setting canipost reads is listed in :data:`VARIABLES`, with its default and meaning;
``deploy/.env.example`` and the README's configuration table are made from the same list
(a test keeps them in step). Variables already in the environment win over ``.env``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from .errors import CanipostError


class ConfigError(CanipostError):
    """A setting that is missing or malformed, named by its variable."""


@dataclass(frozen=True)
class Variable:
    name: str
    default: str
    help: str
    secret: bool = False


VARIABLES: tuple[Variable, ...] = (
    Variable("SLACK_BOT_TOKEN", "", "Bot token of the Slack app (xoxb-...). Needed to serve Slack.", secret=True),
    Variable("SLACK_SIGNING_SECRET", "", "Signing secret of the Slack app; every HTTP request is checked against it.", secret=True),
    Variable("SLACK_APP_TOKEN", "", "App-level token (xapp-...) with connections:write. When set, `canipost serve` uses Socket Mode.", secret=True),
    Variable("SLACK_API_URL", "https://slack.com/api/", "Base URL of the Slack Web API (GovSlack, a proxy, or a test stand-in)."),
    Variable("CANIPOST_PROFILE", "au-aps", "The organisation's profile: au-aps, au-treasury, nz-ps, uk-cs or ca-fps."),
    Variable("CANIPOST_KNOWLEDGE", "", "Directory of a replacement knowledge base (default: the bundled one). Reloaded on SIGHUP."),
    Variable("CANIPOST_RULINGS", "", "Directory of the agency's own examples, made from the advisors' rulings (default: rulings beside CANIPOST_KNOWLEDGE, else in the data directory)."),
    Variable("CANIPOST_ADVISORS", "", "Ethics advisors: comma-separated Slack user ids (U...), or one user group id (S...)."),
    Variable("CANIPOST_ADVISORS_CHANNEL", "", "Channel id where new escalations are announced to the advisors."),
    Variable("CANIPOST_DATA_DIR", "", "Directory for canipost's data (default: $XDG_DATA_HOME/canipost, else ~/.local/share/canipost)."),
    Variable("CANIPOST_DB", "", "The escalations database file (default: canipost.db in the data directory)."),
    Variable("CANIPOST_RETENTION_DAYS", "365", "Days a resolved escalation keeps its text before `canipost escalations purge` removes it."),
    Variable("CANIPOST_ANSWER_TTL_DAYS", "7", "Days an answer given in Slack is kept so its buttons (Escalate, Helpful) work."),
    Variable("CANIPOST_LOG_LEVEL", "INFO", "Log level: DEBUG, INFO, WARNING or ERROR."),
    Variable("CANIPOST_LOG_TEXT", "0", "1 to include the full text of questions and drafts in logs (off by default)."),
    Variable("CANIPOST_QUEUE_LIMIT", "100", "Slack requests one instance holds at once (being answered or waiting); past it, people are told it is busy."),
    Variable("CANIPOST_ANSWER_PROCESSES", "2", "Processes working out answers (about one per CPU core)."),
    Variable("PORT", "3000", "Port of the HTTP server (`canipost serve --http`)."),
)

_DEFAULTS = {v.name: v.default for v in VARIABLES}
SECRET_NAMES = tuple(v.name for v in VARIABLES if v.secret)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=value`` lines of a ``.env`` file; blank lines and ``#`` comments skipped, quotes removed."""
    values: dict[str, str] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return values
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def secret_values(environ: Mapping[str, str], env_file: Path | None = None) -> list[str]:
    """The secrets set in ``environ`` or ``env_file`` (default ``./.env``), whether or not they are
    valid settings: what an error message or a report must never repeat."""
    file_values = read_env_file(env_file if env_file is not None else Path(".env"))
    values = {source.get(name, "").strip() for source in (environ, file_values) for name in SECRET_NAMES}
    # Very short values would blank out ordinary words; no real secret is that short.
    return sorted((v for v in values if len(v) >= 6), key=len, reverse=True)


def _default_data_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", str(Path.home()))) / ".local" / "share")
    return Path(base) / "canipost"


def _int(env: Mapping[str, str], name: str, low: int, high: int) -> int:
    raw = env.get(name) or _DEFAULTS[name]
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


@dataclass(frozen=True)
class Settings:
    """canipost's settings. Build with :meth:`from_env`; never read ``os.environ`` elsewhere."""

    # Secrets stay out of repr(), so that no log or error message can show them by accident.
    slack_bot_token: str = field(default="", repr=False)
    slack_signing_secret: str = field(default="", repr=False)
    slack_app_token: str = field(default="", repr=False)
    slack_api_url: str = "https://slack.com/api/"
    profile: str = "au-aps"
    knowledge_dir: Path | None = None
    rulings_dir: Path | None = None
    advisors: tuple[str, ...] = ()
    advisors_group: str | None = None
    advisors_channel: str = ""
    data_dir: Path = field(default_factory=lambda: _default_data_dir(os.environ))
    db_path: Path = field(default_factory=lambda: _default_data_dir(os.environ) / "canipost.db")
    retention_days: int = 365
    answer_ttl_days: int = 7
    log_level: str = "INFO"
    log_text: bool = False
    queue_limit: int = 100
    answer_processes: int = 2
    port: int = 3000

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, env_file: Path | None = None) -> "Settings":
        """Settings from ``environ`` (default ``os.environ``) over ``env_file`` (default ``./.env``)."""
        environ = dict(os.environ if environ is None else environ)
        file_values = read_env_file(env_file if env_file is not None else Path(".env"))
        env = {**file_values, **environ}
        get = lambda name: (env.get(name) or _DEFAULTS[name]).strip()  # noqa: E731

        data_dir = Path(get("CANIPOST_DATA_DIR")).expanduser() if get("CANIPOST_DATA_DIR") else _default_data_dir(env)
        db_path = Path(get("CANIPOST_DB")).expanduser() if get("CANIPOST_DB") else data_dir / "canipost.db"
        advisors_raw = [a.strip() for a in get("CANIPOST_ADVISORS").split(",") if a.strip()]
        group = None
        if len(advisors_raw) == 1 and advisors_raw[0].startswith("S"):
            group, advisors_raw = advisors_raw[0], []
        level = get("CANIPOST_LOG_LEVEL").upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ConfigError(f"CANIPOST_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {level!r}")
        api_url = get("SLACK_API_URL")
        if not api_url.startswith(("http://", "https://")):
            raise ConfigError(f"SLACK_API_URL must be an http(s) URL, got {api_url!r}")
        return cls(
            slack_bot_token=get("SLACK_BOT_TOKEN"),
            slack_signing_secret=get("SLACK_SIGNING_SECRET"),
            slack_app_token=get("SLACK_APP_TOKEN"),
            slack_api_url=api_url if api_url.endswith("/") else api_url + "/",
            profile=get("CANIPOST_PROFILE"),
            knowledge_dir=Path(get("CANIPOST_KNOWLEDGE")).expanduser() if get("CANIPOST_KNOWLEDGE") else None,
            rulings_dir=Path(get("CANIPOST_RULINGS")).expanduser() if get("CANIPOST_RULINGS") else None,
            advisors=tuple(advisors_raw),
            advisors_group=group,
            advisors_channel=get("CANIPOST_ADVISORS_CHANNEL"),
            data_dir=data_dir,
            db_path=db_path,
            retention_days=_int(env, "CANIPOST_RETENTION_DAYS", 1, 36500),
            answer_ttl_days=_int(env, "CANIPOST_ANSWER_TTL_DAYS", 1, 3650),
            log_level=level,
            log_text=get("CANIPOST_LOG_TEXT") in ("1", "true", "yes", "on"),
            queue_limit=_int(env, "CANIPOST_QUEUE_LIMIT", 1, 10_000),
            answer_processes=_int(env, "CANIPOST_ANSWER_PROCESSES", 1, 64),
            port=_int(env, "PORT", 1, 65535),
        )

    def api_url_problem(self) -> str | None:
        """Why ``slack_api_url`` must not be used, if it must not: tokens never travel unencrypted,
        so plain HTTP is allowed only to this machine (a local proxy or a test stand-in)."""
        parts = urlsplit(self.slack_api_url)
        if parts.scheme == "https" and parts.hostname:
            return None
        if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS:
            return None
        return "tokens would travel unencrypted (plain HTTP is allowed only to localhost)"

    def rulings_directory(self, knowledge_dir: Path | None = None) -> Path:
        """Where the agency's own examples are kept: ``CANIPOST_RULINGS``, else ``rulings`` beside the
        knowledge base in use (``knowledge_dir``, else ``CANIPOST_KNOWLEDGE``), else in the data
        directory (the bundled knowledge base is not the agency's to write beside)."""
        if self.rulings_dir is not None:
            return self.rulings_dir
        knowledge = knowledge_dir or self.knowledge_dir
        return Path(knowledge).parent / "rulings" if knowledge else self.data_dir / "rulings"

    def secrets(self) -> tuple[str, ...]:
        """Values that must never be written to a log or the database."""
        return tuple(s for s in (self.slack_bot_token, self.slack_signing_secret, self.slack_app_token) if s)
