"""The container: what can be checked without a Docker engine is checked here (the Dockerfile's
promises, its health check command, what its build copies, compose.yaml, the smoke script's
behaviour without Docker, and the same smoke test against a local `canipost serve`); the real
build-and-run smoke test (deploy/smoke.sh) runs where a Docker engine is available."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import sysconfig
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "deploy" / "Dockerfile"
COMPOSE = REPO / "deploy" / "compose.yaml"
SMOKE = REPO / "deploy" / "smoke.sh"
NO_DOCKER = "Docker engine not available: skipping the container smoke test"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", "\n".join(line for line in DOCKERFILE.read_text().splitlines()
                                          if not line.lstrip().startswith("#")))
    out = []
    for line in text.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (k, _) in enumerate(steps) if k == "FROM")
    return steps[last_from:]


def docker_engine_available() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


# -- the Dockerfile ------------------------------------------------------------------------------

def test_dockerfile_base_is_slim_python_311():
    args = dict(a.split("=", 1) for k, a in instructions() if k == "ARG" and "=" in a)
    bases = [a.split()[0] for k, a in instructions() if k == "FROM"]
    resolved = {re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), ""), b) for b in bases}
    assert {r.split("@")[0] for r in resolved} == {"python:3.11-slim"}


def test_dockerfile_runs_as_a_non_root_user():
    users = [a for k, a in final_stage() if k == "USER"]
    assert users, "the final stage sets no USER: it would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")


def test_dockerfile_keeps_data_on_a_volume_and_serves_on_3000():
    stage = final_stage()
    env = " ".join(a for k, a in stage if k == "ENV")
    assert "CANIPOST_DATA_DIR=/data" in env
    assert any(k == "VOLUME" and "/data" in a for k, a in stage)
    assert ("EXPOSE", "3000") in stage
    assert ("STOPSIGNAL", "SIGTERM") in stage
    assert any(k == "WORKDIR" for k, _ in stage)
    (cmd,) = [json.loads(a) for k, a in stage if k == "CMD"]
    assert cmd[:2] == ["canipost", "serve"]


def test_dockerfile_copies_only_what_exists():
    for keyword, args in instructions():
        if keyword == "COPY" and "--from" not in args:
            for source in shlex.split(args)[:-1]:
                assert (REPO / source).exists(), f"COPY {source}: not in the repository"


def healthcheck_command() -> list[str]:
    (check,) = [a for k, a in final_stage() if k == "HEALTHCHECK"]
    assert "--interval" in check and "--timeout" in check
    return json.loads(check[check.index("CMD") + 3:].strip())


class Health:
    def __init__(self, status: int):
        code = status

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(code if self.path == "/healthz" else 404)
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("status, healthy", [(200, True), (503, False), (None, False)])
def test_healthcheck_command_asks_healthz_on_port(status, healthy):
    command = healthcheck_command()
    assert command[0] == "python", "slim images have no curl: the check uses Python"
    server = Health(status) if status else None
    if server:
        port = server.port
    else:  # a port nothing listens on
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
    try:
        result = subprocess.run([sys.executable, *command[1:]], env={**os.environ, "PORT": str(port)},
                                capture_output=True, timeout=30)
    finally:
        if server:
            server.close()
    assert (result.returncode == 0) is healthy


def test_the_build_context_installs_with_the_knowledge_base_inside(tmp_path):
    """What the Dockerfile copies is enough for a regular install, and the knowledge base ends up in the package."""
    context = tmp_path / "context"
    context.mkdir()
    for keyword, args in instructions():
        if keyword == "COPY" and "--from" not in args:
            for source in shlex.split(args)[:-1]:
                src = REPO / source
                if src.is_dir():
                    shutil.copytree(src, context / source, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    (context / source).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(src, context / source)
    # With build isolation, as in the image: the build backend comes from the package index.
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"),
                             str(context)], capture_output=True, text=True, timeout=600)
    if result.returncode and "No matching distribution found for setuptools" in result.stdout + result.stderr:
        pytest.skip("the package index cannot be reached for the build backend")
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "canipost/knowledge/profiles.yaml" in names
    assert any(n.startswith("canipost/knowledge/sources/") for n in names)
    assert "canipost/cli/doctor.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "canipost = canipost.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


# -- compose.yaml ---------------------------------------------------------------------------------

def test_compose_runs_the_image_with_env_file_volume_and_restart():
    compose = yaml.safe_load(COMPOSE.read_text())
    (service,) = compose["services"].values()
    assert (COMPOSE.parent / service["build"]["context"] / service["build"]["dockerfile"]).resolve() == DOCKERFILE
    assert service["env_file"] in (".env", [".env"])
    volume, target = service["volumes"][0].split(":")[:2]
    assert target == "/data" and volume in compose["volumes"], "/data must be a named volume"
    assert service["restart"] in ("unless-stopped", "always")
    assert service["stop_grace_period"]
    assert "healthcheck" not in service, "the image's HEALTHCHECK applies"
    assert all(str(p).startswith("127.0.0.1:") for p in service["ports"]), "publish on loopback, behind a proxy"
    assert "CANIPOST_KNOWLEDGE" in COMPOSE.read_text(), "show how to mount a replacement knowledge base"


def test_env_example_sits_next_to_compose():
    assert (COMPOSE.parent / ".env.example").exists()


# -- deploy/smoke.sh -------------------------------------------------------------------------------

def test_smoke_script_is_executable_shell():
    assert os.access(SMOKE, os.X_OK)
    assert subprocess.run(["bash", "-n", str(SMOKE)]).returncode == 0


def smoke_without_docker(**env) -> subprocess.CompletedProcess:
    # An engine address where no engine is: `docker info` fails as it does on a machine without one.
    environ = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock", **env}
    return subprocess.run(["bash", str(SMOKE)], env=environ, capture_output=True, text=True, timeout=60)


def test_smoke_script_says_clearly_when_docker_is_not_there():
    result = smoke_without_docker()
    assert result.returncode == 0
    assert result.stdout.strip() == NO_DOCKER


def test_smoke_script_fails_without_docker_when_docker_is_required():
    result = smoke_without_docker(CANIPOST_REQUIRE_DOCKER="1")
    assert result.returncode == 1 and NO_DOCKER in result.stdout


def smoke_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CANIPOST_"))} | {"PYTHON": sys.executable}


def test_smoke_against_a_local_server(tmp_path):
    """The smoke test's own checks, against `canipost serve --http` on this machine (no Docker)."""
    if importlib.util.find_spec("canipost.slack") is None or importlib.util.find_spec("canipost.slack.server") is None:
        pytest.skip("the Slack server (canipost.slack.server) is not in this build yet")
    # The command installed beside the interpreter running the tests, never one found on PATH.
    serve = Path(sysconfig.get_path("scripts")) / "canipost"
    if not serve.exists():
        pytest.skip(f"the canipost command is not installed beside {sys.executable}")
    env = smoke_env() | {"CANIPOST": str(serve), "TMPDIR": str(tmp_path)}
    result = subprocess.run(["bash", str(SMOKE), "--local"], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "smoke: passed (local)" in result.stdout


@pytest.mark.skipif(not docker_engine_available(), reason=NO_DOCKER)
def test_container_smoke():
    """Build the image, run it, and check /healthz and a signed slash command on loopback."""
    env = smoke_env() | {"CANIPOST_REQUIRE_DOCKER": "1"}
    result = subprocess.run(["bash", str(SMOKE)], env=env, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "smoke: passed (docker)" in result.stdout
