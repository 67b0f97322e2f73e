#!/usr/bin/env bash
# Container smoke test: build the image, run it on loopback against a stand-in for the Slack
# Web API, and check what an operator relies on:
#
#   * the image's HEALTHCHECK turns healthy and GET /healthz answers 200;
#   * a signed slash command is acknowledged with 200 within Slack's 3 seconds, and answered;
#   * a badly signed one is refused;
#   * the knowledge base is a replaceable copy (CANIPOST_KNOWLEDGE): on SIGHUP an invalid
#     one is refused and the old one kept, a valid one is loaded;
#   * SIGTERM stops it cleanly (exit status 0);
#   * every log line is a JSON object, and no log holds the token, the signing secret or
#     the text of the question.
#
# Usage, from anywhere:   deploy/smoke.sh            (needs a Docker engine)
#                         deploy/smoke.sh --local    (the installed canipost, no Docker)
#
# Without a Docker engine it says so in one line and exits 0, so it can run everywhere;
# set CANIPOST_REQUIRE_DOCKER=1 (in CI that has Docker) to make that a failure instead.
# CANIPOST_SMOKE_IMAGE names the image to build (default canipost:smoke);
# CANIPOST_SMOKE_KEEP_IMAGE=1 keeps it afterwards.

set -euo pipefail

MODE=docker
case "${1:-}" in
  "") ;;
  --local) MODE=local ;;
  -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: $0 [--local]" >&2; exit 2 ;;
esac

REPO="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
IMAGE="${CANIPOST_SMOKE_IMAGE:-canipost:smoke}"
NAME="canipost-smoke-$$"

if [ "$MODE" = docker ] && ! docker info >/dev/null 2>&1; then
  echo "Docker engine not available: skipping the container smoke test"
  if [ "${CANIPOST_REQUIRE_DOCKER:-0}" = 1 ]; then exit 1; fi
  exit 0
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/canipost-smoke.XXXXXX")"
PIDS=()
APP_LOG="$WORK/app.log"
STANDIN_LOG="$WORK/standin.log"

say() { printf 'smoke: %s\n' "$*"; }
fail() {
  printf 'smoke: FAILED: %s\n' "$*" >&2
  collect_logs || true
  if [ -s "$APP_LOG" ]; then printf -- '--- canipost logs (last 40 lines) ---\n' >&2; tail -n 40 "$APP_LOG" >&2; fi
  if [ -s "$STANDIN_LOG" ]; then printf -- '--- Slack stand-in calls ---\n' >&2; cat "$STANDIN_LOG" >&2; fi
  exit 1
}

cleanup() {
  local status=$?
  if [ "$MODE" = docker ]; then
    docker rm -f "$NAME" "$NAME-slack" >/dev/null 2>&1 || true
    docker network rm "$NAME" >/dev/null 2>&1 || true
    docker volume rm "$NAME-data" >/dev/null 2>&1 || true
    if [ "${CANIPOST_SMOKE_KEEP_IMAGE:-0}" != 1 ]; then docker image rm "$IMAGE" >/dev/null 2>&1 || true; fi
  fi
  for pid in ${PIDS[@]+"${PIDS[@]}"}; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Test credentials, made up for this run: they reach only the stand-in.
SLACK_SIGNING_SECRET="$("$PYTHON" -c 'import secrets; print(secrets.token_hex(16))')"
SLACK_BOT_TOKEN="xoxb-0000000000-0000000000-$("$PYTHON" -c 'import secrets; print(secrets.token_hex(12))')"
export SLACK_SIGNING_SECRET SLACK_BOT_TOKEN
QUESTION="Smoke test $$: can I post photos of the new office fit-out on my personal Instagram?"
# The slash command as the app manifest names it.
COMMAND=""
if [ -f "$REPO/deploy/manifest.yml" ]; then
  COMMAND="$(sed -n 's/^[[:space:]]*-\{0,1\}[[:space:]]*command:[[:space:]]*"\{0,1\}\(\/[A-Za-z0-9_-]*\).*/\1/p' \
    "$REPO/deploy/manifest.yml" | head -n 1 || true)"
fi
COMMAND="${COMMAND:-/canipost}"

# -- the stand-in for the Slack Web API: answers everything ok, prints one JSON line a call ----
cat >"$WORK/standin.py" <<'PY'
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        method = self.path.rsplit("/", 1)[-1].split("?")[0]
        body = {"ok": True}
        if method == "auth.test":
            body.update(url="https://smoke.slack.com/", team="Smoke", user="canipost", team_id="T0SMOKE",
                        user_id="U0SMOKEBOT", bot_id="B0SMOKE", is_enterprise_install=False)
        elif self.path.startswith("/api/"):
            body.update(channel="C0SMOKE", ts="1700000000.000100", message={"ts": "1700000000.000100"},
                        view={"id": "V0SMOKE", "hash": "h"}, user={"id": "U0SMOKE", "name": "smoke", "tz": "UTC",
                        "real_name": "Smoke Test", "profile": {"display_name": "smoke", "real_name": "Smoke Test"}},
                        channels=[], members=[], users=[], response_metadata={"next_cursor": ""})
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        print(json.dumps({"call": self.path, "authorised": self.headers.get("Authorization", "").startswith("Bearer ")}),
              flush=True)

    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("0.0.0.0", int(sys.argv[1]) if len(sys.argv) > 1 else 8080), Handler)
if len(sys.argv) > 2:
    with open(sys.argv[2], "w") as f:
        f.write(str(server.server_address[1]))
server.serve_forever()
PY

# -- the probe: what Slack and a load balancer would do ---------------------------------------
cat >"$WORK/probe.py" <<'PY'
import hashlib, hmac, json, os, sys, time, urllib.error, urllib.parse, urllib.request

def get(url, timeout=3):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")

def wait(url, seconds):
    deadline, last = time.monotonic() + float(seconds), "no answer"
    while time.monotonic() < deadline:
        try:
            status, body = get(url)
            if status == 200:
                print(f"GET {url}: 200 {body.strip()[:120]}")
                return 0
            last = f"HTTP {status}"
        except OSError as e:
            last = str(e)
        time.sleep(0.5)
    print(f"GET {url}: {last} after {seconds}s", file=sys.stderr)
    return 1

def slash(url, command, text, response_url, good_signature=True):
    # The slack_sdk SignatureVerifier scheme: v0=HMAC-SHA256(secret, "v0:<timestamp>:<body>").
    body = urllib.parse.urlencode({
        "token": "deprecated-verification-token", "team_id": "T0SMOKE", "team_domain": "smoke",
        "channel_id": "C0SMOKE", "channel_name": "general", "user_id": "U0SMOKE", "user_name": "smoke",
        "command": command, "text": text, "api_app_id": "A0SMOKE", "is_enterprise_install": "false",
        # A trigger id of its own: canipost rightly ignores a request it has already handled.
        "response_url": response_url, "trigger_id": f"{time.time_ns()}.0.smoke"})
    timestamp = str(int(time.time()))
    secret = os.environ["SLACK_SIGNING_SECRET"] if good_signature else "0" * 32
    signature = "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    request = urllib.request.Request(url, data=body.encode(), method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            status, reply = r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        status, reply = e.code, e.read().decode("utf-8", "replace")
    elapsed = time.monotonic() - started
    print(f"POST {command} ({'signed' if good_signature else 'bad signature'}): HTTP {status} in {elapsed:.2f}s")
    if not good_signature:
        return 0 if status in (401, 403) else 1
    if status != 200:
        print(f"expected 200, got {status}: {reply[:300]}", file=sys.stderr)
        return 1
    if elapsed >= 3:
        print(f"the ack took {elapsed:.2f}s; Slack gives up after 3s", file=sys.stderr)
        return 1
    with open(os.environ["SMOKE_ACK_FILE"], "w") as f:
        f.write(reply)
    return 0

def logs(path, question):
    bad, count, with_id = [], 0, 0
    secrets = [os.environ["SLACK_SIGNING_SECRET"], os.environ["SLACK_BOT_TOKEN"]]
    for number, line in enumerate(open(path, encoding="utf-8", errors="replace"), 1):
        if not line.strip():
            continue
        count += 1
        try:
            entry = json.loads(line)
            if not isinstance(entry, dict):
                raise ValueError
            with_id += bool(entry.get("request_id"))
        except ValueError:
            bad.append(f"line {number} is not a JSON object: {line.strip()[:160]}")
        if any(s in line for s in secrets):
            bad.append(f"line {number} holds a secret")
        # As typed, and as it sits in a form-encoded request body.
        forms = {question, urllib.parse.quote_plus(question), urllib.parse.quote(question)}
        if any(form in line or form[20:60] in line for form in forms):
            bad.append(f"line {number} holds the question's text: {line.strip()[:160]}")
    if not count:
        bad.append("no log lines at all")
    elif not with_id:
        bad.append("no log line carries a request_id")
    for problem in bad:
        print(problem, file=sys.stderr)
    summary = f"all JSON, {with_id} with a request id, no secrets, no question text" if not bad else f"{len(bad)} problem(s)"
    print(f"logs: {count} line(s), {summary}")
    return 1 if bad else 0

if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "wait":
        sys.exit(wait(*args))
    if command == "slash":
        sys.exit(slash(*args))
    if command == "bad-slash":
        sys.exit(slash(*args, good_signature=False))
    if command == "logs":
        sys.exit(logs(*args))
    sys.exit(f"unknown probe command {command}")
PY
export SMOKE_ACK_FILE="$WORK/ack.json"
probe() { "$PYTHON" "$WORK/probe.py" "$@"; }

collect_logs() {
  if [ "$MODE" = docker ]; then
    docker logs "$NAME" >"$APP_LOG" 2>&1 || true
    docker logs "$NAME-slack" >"$STANDIN_LOG" 2>&1 || true
  fi
}

replies() {
  # Calls to the stand-in other than auth.test: answers through the response URL or the Web API.
  collect_logs
  grep -v '"/api/auth.test"' "$STANDIN_LOG" 2>/dev/null | grep -c '"call"' || true
}
ask() {
  # A signed slash command, acknowledged in time, then answered: in the ack, or by a call.
  local before
  before="$(replies)"
  probe slash "$BASE/slack/events" "$COMMAND" "$QUESTION" "$RESPONSE_URL" || return 1
  grep -q '[^[:space:]{}]' "$SMOKE_ACK_FILE" && return 0
  for _ in $(seq 1 40); do [ "$(replies)" -gt "$before" ] && return 0; sleep 0.25; done
  echo "acknowledged, but never answered (nothing in the ack, no reply to the stand-in)" >&2
  return 1
}

# -- start ------------------------------------------------------------------------------------
if [ "$MODE" = docker ]; then
  say "building $IMAGE from $REPO"
  docker build --quiet -f "$REPO/deploy/Dockerfile" -t "$IMAGE" "$REPO" >/dev/null || fail "docker build failed"
  docker network create "$NAME" >/dev/null
  # The stand-in runs from the same image (it has Python), on a private network: nothing
  # from the host's network is needed, and the bind mounts a remote engine lacks are avoided.
  docker run -d --name "$NAME-slack" --network "$NAME" --network-alias slack --no-healthcheck "$IMAGE" \
    python -c "$(cat "$WORK/standin.py")" 8080 >/dev/null
  API_URL="http://slack:8080/api/"
  RESPONSE_URL="http://slack:8080/commands/T0SMOKE/1/smoke"
  # A replaceable copy of the bundled knowledge base on the volume; this also proves a new
  # named volume is writable by the image's user.
  KB=/data/kb
  docker run --rm --no-healthcheck -v "$NAME-data:/data" "$IMAGE" python -c \
    "import shutil; from canipost.kb import bundled_knowledge_dir as d; shutil.copytree(d(), '$KB')" \
    || fail "could not copy the knowledge base onto a new volume (is /data writable by the image's user?)"
  # As compose.yaml runs it: read-only, no capabilities, a named volume, on loopback only.
  docker run -d --name "$NAME" --network "$NAME" -p 127.0.0.1::3000 \
    --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges:true --init \
    -v "$NAME-data:/data" --health-interval 2s --health-timeout 5s --health-start-period 60s \
    -e SLACK_BOT_TOKEN -e SLACK_SIGNING_SECRET -e "SLACK_API_URL=$API_URL" \
    -e CANIPOST_ADVISORS=U0SMOKEADV -e CANIPOST_ADVISORS_CHANNEL=C0SMOKEADV -e "CANIPOST_KNOWLEDGE=$KB" \
    "$IMAGE" >/dev/null || fail "docker run failed"
  PORT="$(docker port "$NAME" 3000/tcp | head -n 1 | sed 's/.*://')"
  [ -n "$PORT" ] || fail "the container publishes no port for 3000/tcp"
  say "waiting for the container's HEALTHCHECK"
  for _ in $(seq 1 60); do
    health="$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$NAME" 2>/dev/null || echo gone)"
    [ "$health" = healthy ] && break
    [ "$health" = unhealthy ] && fail "the HEALTHCHECK reports unhealthy"
    [ "$(docker inspect -f '{{.State.Running}}' "$NAME" 2>/dev/null)" = true ] || fail "the container stopped"
    sleep 2
  done
  [ "$health" = healthy ] || fail "the HEALTHCHECK did not turn healthy in 120s (status: $health)"
  say "HEALTHCHECK: healthy"
  USER_ID="$(docker exec "$NAME" id -u)"
  [ "$USER_ID" != 0 ] || fail "the container runs as root"
else
  say "starting the Slack stand-in and canipost serve (local, no Docker)"
  "$PYTHON" "$WORK/standin.py" 0 "$WORK/standin.port" >"$STANDIN_LOG" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 50); do [ -s "$WORK/standin.port" ] && break; sleep 0.1; done
  [ -s "$WORK/standin.port" ] || fail "the stand-in did not start"
  API_URL="http://127.0.0.1:$(cat "$WORK/standin.port")/api/"
  RESPONSE_URL="http://127.0.0.1:$(cat "$WORK/standin.port")/commands/T0SMOKE/1/smoke"
  PORT="$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  mkdir -p "$WORK/run"
  KB="$WORK/kb"
  cp -R "$REPO/knowledge" "$KB"
  (cd "$WORK/run" && exec env -u SLACK_APP_TOKEN SLACK_API_URL="$API_URL" CANIPOST_DATA_DIR="$WORK/data" \
    CANIPOST_KNOWLEDGE="$KB" \
    CANIPOST_ADVISORS=U0SMOKEADV CANIPOST_ADVISORS_CHANNEL=C0SMOKEADV CANIPOST_LOG_TEXT=0 PORT="$PORT" \
    "${CANIPOST:-canipost}" serve --http --host 127.0.0.1 --port "$PORT") >"$APP_LOG" 2>&1 &
  APP_PID=$!
  PIDS+=("$APP_PID")
fi

BASE="http://127.0.0.1:$PORT"
probe wait "$BASE/healthz" 60 || fail "GET /healthz did not answer 200"

# -- Slack's side ------------------------------------------------------------------------------
ask || fail "the signed slash command was not acknowledged and answered"
say "the slash command was acknowledged and answered"
probe bad-slash "$BASE/slack/events" "$COMMAND" "$QUESTION" "$RESPONSE_URL" || fail "a badly signed request was not refused with 401/403"

# -- operations: reload a broken base (refused), a good one (loaded), then stop ----------------------
in_app() { if [ "$MODE" = docker ]; then docker exec "$NAME" sh -c "$1"; else sh -c "$1"; fi; }
hup() { if [ "$MODE" = docker ]; then docker kill -s HUP "$NAME" >/dev/null; else kill -HUP "$APP_PID"; fi; }
logged() {
  # How many log lines carry event $1.
  collect_logs
  grep -c "\"event\": \"$1\"" "$APP_LOG" || true
}
wait_logged() {
  # Until event $1 has been logged more than $2 times.
  for _ in $(seq 1 60); do [ "$(logged "$1")" -gt "$2" ] && return 0; sleep 0.5; done
  return 1
}

refused="$(logged knowledge_reload_refused)"
in_app "cp '$KB/profiles.yaml' '$KB/profiles.yaml.orig' && printf 'profiles: [\n' >> '$KB/profiles.yaml'"
hup
wait_logged knowledge_reload_refused "$refused" || fail "SIGHUP with an invalid knowledge base: no knowledge_reload_refused in the logs"
probe wait "$BASE/healthz" 20 || fail "not healthy after an invalid knowledge base was refused"
ask || fail "no answer after an invalid knowledge base was refused"
say "SIGHUP with an invalid knowledge base: refused, the old one still answers"

reloaded="$(logged knowledge_reloaded)"
in_app "mv '$KB/profiles.yaml.orig' '$KB/profiles.yaml'"
hup
wait_logged knowledge_reloaded "$reloaded" || fail "SIGHUP with a valid knowledge base: no knowledge_reloaded in the logs"
probe wait "$BASE/healthz" 20 || fail "not healthy after the knowledge base was reloaded"
say "SIGHUP with a valid knowledge base: reloaded"

if [ "$MODE" = docker ]; then
  docker stop -t 30 "$NAME" >/dev/null
  STATUS="$(docker inspect -f '{{.State.ExitCode}}' "$NAME")"
else
  kill -TERM "$APP_PID"
  STATUS=0
  wait "$APP_PID" || STATUS=$?
fi
[ "$STATUS" = 0 ] || fail "after SIGTERM canipost exited with status $STATUS, not 0"
say "SIGTERM: stopped cleanly"

collect_logs
probe logs "$APP_LOG" "$QUESTION" || fail "the logs break the rules above"
say "passed ($MODE)"
