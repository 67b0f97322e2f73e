"""``canipost doctor``: is this installation ready to serve Slack? Run it before the first start,
after every change to ``.env``, and whenever the service misbehaves.

Every check prints OK, NOTE (worth knowing, not wrong) or PROBLEM (what is wrong and how to
fix it). Exit status 0 when there is no PROBLEM, 1 otherwise, so a deployment script can
refuse to start a service that would fail. Secrets are never printed, not even in part:
the output may be pasted into a ticket.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit

from ..config import VARIABLES, ConfigError, Settings, read_env_file, secret_values
from ..errors import CanipostError, KnowledgeErrors
from ..redaction import scrub

OK, NOTE, PROBLEM = "ok", "note", "problem"
LABELS = {OK: "OK", NOTE: "NOTE", PROBLEM: "PROBLEM"}
HELP = {v.name: v.help for v in VARIABLES}

BOT_TOKEN = re.compile(r"^xoxb-[0-9A-Za-z-]{10,}$")
APP_TOKEN = re.compile(r"^xapp-[0-9A-Za-z-]{10,}$")
USER_ID = re.compile(r"^[UW][A-Z0-9]{4,}$")
GROUP_ID = re.compile(r"^S[A-Z0-9]{4,}$")
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{4,}$")
# Slack answers these when the token itself is the trouble (as opposed to the network).
TOKEN_ERRORS = {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive",
                "org_login_required", "ekm_access_denied", "no_permission"}
SLACK_TIMEOUT_S = 5
MANIFEST = "deploy/manifest.yml"


@dataclass
class Check:
    status: str
    subject: str
    message: str
    fix: str = ""
    details: list[str] = field(default_factory=list)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "doctor", help="check the configuration, knowledge base, database and Slack app before serving",
        description="Check the configuration (environment and ./.env), the knowledge base, the database and, "
                    "unless --offline, the bot token's scopes against the app manifest. Prints what is wrong "
                    "and how to fix it; exit status 1 when anything is wrong.")
    parser.add_argument("--offline", action="store_true", help="do not contact Slack (skip the token and scope check)")
    parser.add_argument("--json", action="store_true", help="print the checks as one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    environ = dict(os.environ)
    checks = diagnose(environ, Path(".env"), offline=args.offline)
    secrets = secret_values(environ, Path(".env"))
    if args.json:
        output = json.dumps({"ok": not _count(checks, PROBLEM), "problems": _count(checks, PROBLEM),
                             "notes": _count(checks, NOTE), "checks": [asdict(c) for c in checks]},
                            ensure_ascii=False, indent=2)
    else:
        output = render(checks)
    # A last guard: whatever a check or a library said, no secret leaves in the output.
    print(scrub(output, secrets))
    return 1 if _count(checks, PROBLEM) else 0


def diagnose(environ: Mapping[str, str], env_file: Path, offline: bool = False) -> list[Check]:
    """Every check, in the order a person would fix things."""
    file_values = read_env_file(env_file)
    settings, checks, broken = load_settings(environ, env_file)
    checks.insert(0, _source_check(env_file, file_values))

    def unless_broken(name: str, check: Iterable[Check]) -> list[Check]:
        return [] if name in broken else list(check)

    checks += unless_broken("SLACK_BOT_TOKEN", check_bot_token(settings))
    checks += unless_broken("SLACK_SIGNING_SECRET", check_signing_secret(settings))
    checks += unless_broken("SLACK_APP_TOKEN", check_app_token(settings))
    checks += unless_broken("SLACK_API_URL", check_api_url(settings))
    kb_checks, kb = check_knowledge(settings)
    checks += unless_broken("CANIPOST_KNOWLEDGE", kb_checks)
    checks += unless_broken("CANIPOST_PROFILE", check_profile(settings, kb))
    checks += unless_broken("CANIPOST_ADVISORS", check_advisors(settings))
    checks += unless_broken("CANIPOST_ADVISORS_CHANNEL", check_channel(settings))
    checks += check_database(settings)
    checks += unless_broken("CANIPOST_RETENTION_DAYS", check_retention(settings))
    checks += check_logging(settings)
    checks += check_unknown_variables(environ, file_values)
    if offline:
        checks.append(Check(NOTE, "Slack", "not contacted (--offline): the token and its scopes were not checked"))
    elif not ({"SLACK_BOT_TOKEN", "SLACK_API_URL"} & broken):
        checks += check_slack(settings)
    return checks


# -- configuration ------------------------------------------------------------------------

def load_settings(environ: Mapping[str, str], env_file: Path) -> tuple[Settings, list[Check], set[str]]:
    """Settings as the service would read them, with every malformed variable reported, not just
    the first: each one found is reported, then read as its default so the others can be checked."""
    overrides: dict[str, str] = {}
    checks: list[Check] = []
    for _ in range(len(VARIABLES) + 1):
        try:
            return Settings.from_env({**environ, **overrides}, env_file=env_file), checks, set(overrides)
        except ConfigError as exc:
            name = next((v.name for v in VARIABLES if str(exc).startswith(v.name)), None)
            message = str(exc)[len(name):].strip() if name else str(exc)
            checks.append(Check(PROBLEM, name or "configuration", message,
                                fix=f"Set {name} in .env or the environment: {HELP[name]}" if name else
                                "Correct the setting named above (deploy/.env.example lists them all)."))
            if name is None or name in overrides:
                break
            # An empty value reads as the default, whatever .env says.
            overrides[name] = ""
    return Settings(), checks, set(overrides) | {"configuration"}


def _source_check(env_file: Path, file_values: Mapping[str, str]) -> Check:
    if env_file.is_file():
        return Check(OK, "configuration", f"read from the environment and {env_file.resolve()} "
                     f"({len(file_values)} setting(s) there; the environment wins where both set one)")
    return Check(OK, "configuration", f"read from the environment (no {env_file} in {Path.cwd()})")


def check_bot_token(settings: Settings) -> list[Check]:
    token = settings.slack_bot_token
    where = "Copy the Bot User OAuth Token from your Slack app's settings (OAuth & Permissions) into SLACK_BOT_TOKEN"
    if not token:
        return [Check(PROBLEM, "SLACK_BOT_TOKEN", "not set: canipost cannot talk to Slack",
                      fix=f"{where} (install the app from {MANIFEST} first if you have not).")]
    if BOT_TOKEN.match(token):
        return [Check(OK, "SLACK_BOT_TOKEN", "set, shaped like a bot token (xoxb-...)")]
    if token.startswith("xoxp-"):
        what = "is a user token (xoxp-...), not the app's bot token"
    elif token.startswith("xapp-"):
        what = "is an app-level token (xapp-...): that one belongs in SLACK_APP_TOKEN"
    elif token.startswith("xoxb-"):
        what = "starts like a bot token but has characters a token never has (spaces, quotes, a line break?)"
    else:
        what = "does not look like a bot token (those start with xoxb-)"
    return [Check(PROBLEM, "SLACK_BOT_TOKEN", what, fix=f"{where}; paste it whole, with nothing around it.")]


def check_signing_secret(settings: Settings) -> list[Check]:
    secret = settings.slack_signing_secret
    where = "Copy the Signing Secret from your Slack app's settings (Basic Information, App Credentials) into SLACK_SIGNING_SECRET"
    if not secret and settings.slack_app_token:
        # Socket Mode requests arrive over Slack's own authenticated connection, unsigned.
        return [Check(NOTE, "SLACK_SIGNING_SECRET", "not set: not needed in Socket Mode, but HTTP mode "
                      "(`canipost serve --http`, or SLACK_APP_TOKEN emptied) will not start without it")]
    if not secret:
        return [Check(PROBLEM, "SLACK_SIGNING_SECRET", "not set: requests from Slack cannot be verified, so all are refused",
                      fix=where + ".")]
    if secret.startswith(("xox", "xapp-")):
        return [Check(PROBLEM, "SLACK_SIGNING_SECRET", "holds a token, not the signing secret", fix=where + ".")]
    if not re.fullmatch(r"[0-9a-fA-F]+", secret):
        return [Check(PROBLEM, "SLACK_SIGNING_SECRET",
                      "does not look like a signing secret (Slack's are hexadecimal: 0-9 and a-f); "
                      "is it the Verification Token or the Client Secret?", fix=where + ".")]
    if len(secret) != 32:
        return [Check(NOTE, "SLACK_SIGNING_SECRET", f"set, but {len(secret)} characters long where Slack's are 32: "
                      "check it was copied whole")]
    return [Check(OK, "SLACK_SIGNING_SECRET", "set, shaped like a signing secret")]


def check_app_token(settings: Settings) -> list[Check]:
    token = settings.slack_app_token
    if not token:
        return [Check(NOTE, "SLACK_APP_TOKEN", "not set: `canipost serve` will use HTTP mode, so Slack must reach "
                      "this service over HTTPS at /slack/events (set that Request URL in the app's settings)")]
    if APP_TOKEN.match(token):
        return [Check(OK, "SLACK_APP_TOKEN", "set, shaped like an app-level token: `canipost serve` will use "
                      "Socket Mode (no inbound port needed)")]
    what = ("is a bot or user token; the app-level token starts with xapp-" if token.startswith("xox")
            else "does not look like an app-level token (those start with xapp-)")
    return [Check(PROBLEM, "SLACK_APP_TOKEN", what,
                  fix="Generate an app-level token with the connections:write scope (app settings, Basic Information, "
                      "App-Level Tokens) and put it in SLACK_APP_TOKEN; or leave SLACK_APP_TOKEN empty for HTTP mode.")]


def check_api_url(settings: Settings) -> list[Check]:
    url = settings.slack_api_url
    problem = settings.api_url_problem()
    if problem:
        return [Check(PROBLEM, "SLACK_API_URL", f"{url}: {problem}",
                      fix="Use an https:// URL, or leave SLACK_API_URL unset for https://slack.com/api/.")]
    if urlsplit(url).scheme == "http":
        return [Check(OK, "SLACK_API_URL", f"{url}: plain HTTP to this machine (a local proxy or test stand-in)")]
    where = "the Slack Web API" if url == "https://slack.com/api/" else "a Web API other than slack.com (GovSlack or a proxy)"
    return [Check(OK, "SLACK_API_URL", f"{url}: {where}")]


def check_knowledge(settings: Settings) -> tuple[list[Check], Any]:
    from ..kb import load_knowledge

    root = settings.knowledge_dir
    name = "CANIPOST_KNOWLEDGE" if root else "knowledge base"
    if root is not None and not root.is_dir():
        return [Check(PROBLEM, name, f"{root} is not a directory",
                      fix="Point CANIPOST_KNOWLEDGE at a copy of the knowledge base (a directory with profiles.yaml), "
                          "mounted into the container if you use one (see deploy/compose.yaml); or unset it for the "
                          "bundled one.")], None
    try:
        kb = load_knowledge(root)
    except KnowledgeErrors as exc:
        return [Check(PROBLEM, name, f"{len(exc.errors)} problem(s) in {root or 'the bundled knowledge base'}",
                      fix="Correct each file at the line shown and check with `canipost kb validate"
                          + (f" --knowledge {root}`" if root else "`")
                          + "; a running service keeps its current base until a valid one is loaded.",
                      details=[str(e) for e in exc.errors])], None
    except (CanipostError, OSError) as exc:
        return [Check(PROBLEM, name, f"cannot be loaded: {exc}",
                      fix="Check the directory and run `canipost kb validate` for details.")], None
    checks = [Check(OK, name, f"valid: {len(kb.provisions)} provisions from {len(kb.sources)} sources, "
                    f"{len(kb.profiles)} profiles ({kb.root})")]
    checks += [Check(NOTE, name, warning) for warning in kb.warnings]
    return checks, kb


def check_profile(settings: Settings, kb) -> list[Check]:
    if kb is None:
        return [Check(NOTE, "CANIPOST_PROFILE", f"{settings.profile}: not checked until the knowledge base is valid")]
    if settings.profile in kb.profiles:
        return [Check(OK, "CANIPOST_PROFILE", f"{settings.profile} ({kb.profiles[settings.profile].name})")]
    close = difflib.get_close_matches(settings.profile, list(kb.profiles), n=1)
    return [Check(PROBLEM, "CANIPOST_PROFILE", f"unknown profile {settings.profile!r}"
                  + (f" (did you mean {close[0]}?)" if close else ""),
                  fix=f"Set CANIPOST_PROFILE to one of: {', '.join(sorted(kb.profiles))}.")]


def check_advisors(settings: Settings) -> list[Check]:
    fix = ("Set CANIPOST_ADVISORS to the advisors' Slack member ids, comma-separated (in Slack: a person's "
           "profile, More, Copy member ID), or to one user group id (S...).")
    if settings.advisors_group:
        if GROUP_ID.match(settings.advisors_group):
            return [Check(OK, "CANIPOST_ADVISORS", f"the user group {settings.advisors_group}")]
        return [Check(PROBLEM, "CANIPOST_ADVISORS", f"{settings.advisors_group!r} is not a user group id", fix=fix)]
    if not settings.advisors:
        return [Check(PROBLEM, "CANIPOST_ADVISORS", "not set: escalated cases would go to nobody", fix=fix)]
    groups = [a for a in settings.advisors if a.startswith("S")]
    if groups:
        return [Check(PROBLEM, "CANIPOST_ADVISORS", f"a user group ({groups[0]}) must be the only entry, not one of "
                      f"{len(settings.advisors)}", fix=fix)]
    bad = [a for a in settings.advisors if not USER_ID.match(a)]
    if bad:
        hint = " (member ids, not @names or emails)" if any(a.startswith("@") or "@" in a for a in bad) else ""
        return [Check(PROBLEM, "CANIPOST_ADVISORS", f"not Slack member ids{hint}: {', '.join(bad)}", fix=fix)]
    return [Check(OK, "CANIPOST_ADVISORS", f"{len(settings.advisors)} advisor(s)")]


def check_channel(settings: Settings) -> list[Check]:
    channel = settings.advisors_channel
    fix = ("Set CANIPOST_ADVISORS_CHANNEL to the channel's id (in Slack: the channel's details, About, Channel ID "
           "at the bottom), and invite the app to that channel.")
    if not channel:
        return [Check(PROBLEM, "CANIPOST_ADVISORS_CHANNEL", "not set: new escalations would not be announced", fix=fix)]
    if CHANNEL_ID.match(channel):
        return [Check(OK, "CANIPOST_ADVISORS_CHANNEL", channel)]
    what = "is a channel name; canipost needs its id (C... or G...)" if channel.startswith("#") else \
        "does not look like a channel id (C... or G...)"
    return [Check(PROBLEM, "CANIPOST_ADVISORS_CHANNEL", f"{channel!r} {what}", fix=fix)]


class _Rollback(Exception):
    pass


def check_database(settings: Settings) -> list[Check]:
    path = settings.db_path
    fix = (f"Make {path.parent} writable by the user canipost runs as (in the container, the named volume at "
           "/data is), or set CANIPOST_DB or CANIPOST_DATA_DIR to a writable directory on a local disk "
           "(SQLite is not safe on NFS or SMB shares).")
    existed = path.exists()
    try:
        from ..store import Store
    except ImportError:
        return _probe_directory(path, fix)
    try:
        store = Store(path, secrets=settings.secrets())
    except Exception as exc:  # noqa: BLE001 - whatever stops the service opening it is the answer
        return [Check(PROBLEM, "database", f"{path}: cannot be opened: {_reason(exc)}", fix=fix)]
    try:
        # A real write, taken back: proves the file, its journal and the directory all accept writes.
        with store.database.write() as db:
            db.execute("CREATE TABLE canipost_doctor_probe (probe TEXT)")
            db.execute("INSERT INTO canipost_doctor_probe VALUES (?)", [uuid.uuid4().hex])
            raise _Rollback
    except _Rollback:
        pass
    except Exception as exc:  # noqa: BLE001
        return [Check(PROBLEM, "database", f"{path}: opens but refuses writes: {_reason(exc)}", fix=fix)]
    finally:
        store.close()
    return [Check(OK, "database", f"{path}: {'opened' if existed else 'created'}, schema current, "
                  "a test write succeeded and was rolled back")]


def _probe_directory(path: Path, fix: str) -> list[Check]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        probe = path.parent / f".canipost-doctor-{uuid.uuid4().hex}"
        probe.write_text("probe")
        probe.unlink()
    except OSError as exc:
        return [Check(PROBLEM, "database", f"{path.parent}: not writable: {_reason(exc)}", fix=fix)]
    return [Check(OK, "database", f"{path.parent}: writable (the database itself was not opened)")]


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)  # urllib's URLError wraps the socket error
    if isinstance(reason, BaseException):
        return _reason(reason)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror + (f": {exc.filename}" if exc.filename else "")
    return str(exc) or type(exc).__name__


def check_retention(settings: Settings) -> list[Check]:
    days = settings.retention_days
    checks = [Check(OK, "CANIPOST_RETENTION_DAYS", f"resolved cases keep their text {days} day(s); schedule "
                    "`canipost escalations purge` daily to apply it")]
    if days < 30:
        checks.append(Check(NOTE, "CANIPOST_RETENTION_DAYS", f"{days} day(s) is short: advisors lose a case's text "
                            "soon after resolving it (check your records policy)"))
    elif days > 3650:
        checks.append(Check(NOTE, "CANIPOST_RETENTION_DAYS", f"{days} days is more than ten years of people's "
                            "drafts (check your records and privacy policies)"))
    if settings.answer_ttl_days > days:
        checks.append(Check(NOTE, "CANIPOST_ANSWER_TTL_DAYS", f"answers are kept {settings.answer_ttl_days} days, "
                            f"longer than resolved cases' text ({days})"))
    return checks


def check_logging(settings: Settings) -> list[Check]:
    if settings.log_text:
        return [Check(NOTE, "CANIPOST_LOG_TEXT", "1: logs will hold people's questions and drafts in full; "
                      "turn it off when you are done troubleshooting")]
    return []


def check_unknown_variables(environ: Mapping[str, str], file_values: Mapping[str, str]) -> list[Check]:
    """Names that look like settings but are not: a typo here silently means a default."""
    known = set(HELP)
    names = {n for n in environ if n.startswith("CANIPOST_")} | {n for n in file_values if n.startswith(("CANIPOST_", "SLACK_"))}
    checks = []
    for name in sorted(names - known):
        close = difflib.get_close_matches(name, sorted(known), n=1)
        checks.append(Check(NOTE, name, "is not a canipost setting and is ignored"
                            + (f" (did you mean {close[0]}?)" if close else "")))
    return checks


# -- Slack --------------------------------------------------------------------------------

def check_slack(settings: Settings) -> list[Check]:
    if not BOT_TOKEN.match(settings.slack_bot_token):
        return [Check(NOTE, "Slack", "not contacted: no usable bot token to check")]
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=SLACK_TIMEOUT_S,
                       retry_handlers=[])
    try:
        response = client.auth_test()
    except SlackApiError as exc:
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        error = data.get("error") or f"HTTP {exc.response.status_code}"
        if error in TOKEN_ERRORS:
            return [Check(PROBLEM, "Slack", f"Slack refused the bot token ({error})",
                          fix="Copy the current Bot User OAuth Token again (OAuth & Permissions); if the app was "
                              f"uninstalled, reinstall it from {MANIFEST}.")]
        return [Check(PROBLEM, "Slack", f"auth.test at {settings.slack_api_url} failed: {error}",
                      fix="Check SLACK_API_URL points at a Slack Web API (it ends in /api/).")]
    except Exception as exc:  # noqa: BLE001 - any failure to get an answer means "unreachable"
        return [Check(NOTE, "Slack", f"could not reach {settings.slack_api_url} ({_reason(exc)}): the token and its "
                      "scopes were not checked; run `canipost doctor` where Slack is reachable, or allow outbound "
                      "HTTPS to it (--offline skips this check)")]
    bot, team = response.get("user") or "?", response.get("team") or "?"
    checks = [Check(OK, "Slack", f"the bot token works: @{bot} in {team}")]
    return checks + check_scopes(_header(response.headers, "x-oauth-scopes"))


def check_scopes(granted_header: str | None) -> list[Check]:
    try:
        from ..slack.manifest import BOT_SCOPES, BROAD_SCOPES, THREAD_FOLLOW_UP_SCOPES
    except ImportError:
        return [Check(NOTE, "scopes", "not compared: this build has no app manifest to compare with")]
    if granted_header is None:
        return [Check(NOTE, "scopes", "not compared: Slack did not say which scopes the token has")]
    granted = {s.strip() for s in granted_header.split(",") if s.strip()}
    wanted = set(BOT_SCOPES)
    checks = []
    missing, extra = sorted(wanted - granted), sorted(granted - set(BROAD_SCOPES))
    if missing:
        checks.append(Check(PROBLEM, "scopes", f"the bot token lacks scope(s) canipost needs: {', '.join(missing)}",
                            fix=f"Update the app from {MANIFEST} (app settings, App Manifest), reinstall it to the "
                                "workspace (OAuth & Permissions, Reinstall), then copy the new bot token into "
                                "SLACK_BOT_TOKEN."))
    else:
        checks.append(Check(OK, "scopes", f"the bot token has all {len(wanted)} scopes in {MANIFEST}"))
    broad = [s for s in THREAD_FOLLOW_UP_SCOPES if s in granted]
    if len(broad) == len(THREAD_FOLLOW_UP_SCOPES):
        checks.append(Check(NOTE, "scopes", f"the broad scope set ({', '.join(broad)}): replies in canipost's threads "
                            "are answered without a mention, and the app can read every message in the channels it "
                            "is in (the narrow default leaves them out: see docs/slack.md)"))
    elif broad:
        checks.append(Check(NOTE, "scopes", f"part of the broad scope set ({', '.join(broad)} only): thread replies "
                            "without a mention are answered only where that scope reaches; add both or neither"))
    else:
        checks.append(Check(OK, "scopes", "the narrow scope set (the default): follow-ups in a thread need a mention"))
    if extra:
        checks.append(Check(NOTE, "scopes", f"the bot token also has scope(s) canipost does not use: {', '.join(extra)} "
                            f"(least privilege: remove them from the app's configuration and reinstall)"))
    return checks


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return ",".join(value) if isinstance(value, list) else str(value)
    return None


# -- output -------------------------------------------------------------------------------

def render(checks: list[Check]) -> str:
    width = max(len(c.subject) for c in checks) + 2
    lines = ["canipost doctor", ""]
    for check in checks:
        lines.append(f"  {LABELS[check.status]:<8} {check.subject:<{width}} {check.message}")
        lines += [f"  {'':<8} {'':<{width}}   {detail}" for detail in check.details]
        if check.fix:
            lines.append(f"  {'':<8} {'':<{width}} fix: {check.fix}")
    problems, notes = _count(checks, PROBLEM), _count(checks, NOTE)
    lines.append("")
    if problems:
        lines.append(f"{problems} problem(s), {notes} note(s): fix the problems above, then run `canipost doctor` again.")
    else:
        lines.append(f"No problems ({notes} note(s)): ready to serve.")
    return "\n".join(lines)


def _count(checks: list[Check], status: str) -> int:
    return sum(1 for c in checks if c.status == status)

