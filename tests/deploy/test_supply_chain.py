"""Issue 12, item 9: the image installs from a lock file with hashes, its base image is pinned by
digest, and a CycloneDX software bill of materials lists exactly what it installs."""

from __future__ import annotations

import json
import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from test_container import instructions  # tests/deploy is on sys.path (no package)

REPO = Path(__file__).resolve().parents[2]
LOCK = REPO / "deploy" / "requirements.lock"
SBOM = REPO / "deploy" / "sbom.cdx.json"


def locked() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of every requirement in the lock."""
    text = re.sub(r"\\\n", " ", LOCK.read_text())
    found = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement, *options = line.split()
            name, _, version = requirement.partition("==")
            found[canonicalize_name(name)] = (version, [o.split("=", 1)[1] for o in options if o.startswith("--hash=")])
    return found


def test_every_locked_package_is_pinned_with_hashes():
    lock = locked()
    assert lock, "the lock is empty"
    for name, (version, hashes) in lock.items():
        assert re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", version), f"{name} is not pinned with =="
        assert hashes and all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes), f"{name} has no sha256"


def test_the_lock_covers_every_runtime_dependency_and_the_build_backend():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    lock = locked()
    wanted = [Requirement(r) for r in project["project"]["dependencies"] + project["build-system"]["requires"]]
    seen: set[str] = set()
    while wanted:
        requirement = wanted.pop()
        name = canonicalize_name(requirement.name)
        if name in seen or (requirement.marker and not requirement.marker.evaluate({"extra": ""})):
            continue
        seen.add(name)
        assert name in lock, f"{requirement} is not in deploy/requirements.lock: run deploy/supply-chain.sh"
        assert requirement.specifier.contains(lock[name][0], prereleases=True), f"the lock's {name} breaks {requirement}"
        try:
            wanted += [Requirement(r) for r in metadata.requires(requirement.name) or ()]
        except metadata.PackageNotFoundError:
            pass  # not installed here (the build backend's own needs): pip check covers it in the image


def test_the_image_installs_only_from_the_lock_with_hashes():
    steps = instructions()
    copies = [a for k, a in steps if k == "COPY"]
    runs = [a for k, a in steps if k == "RUN"]
    assert any(a.split()[0] == "deploy/requirements.lock" for a in copies)
    locked_install = [r for r in runs if "-r requirements.lock" in r]
    assert locked_install and "--require-hashes" in locked_install[0]
    own = [r for r in runs if re.search(r"pip install [^&]*\s\.(\s|$)", r)]
    assert own and "--no-deps" in own[0] and "--no-build-isolation" in own[0], "the project's install fetches nothing"
    assert "pip check" in own[0]


def test_the_base_image_is_pinned_by_digest():
    args = dict(a.split("=", 1) for k, a in instructions() if k == "ARG" and "=" in a)
    bases = [a.split()[0] for k, a in instructions() if k == "FROM"]
    resolved = {re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), ""), b) for b in bases}
    assert len(resolved) == 1
    assert re.fullmatch(r"python:3\.11-slim@sha256:[0-9a-f]{64}", resolved.pop())
    deploy = (REPO / "docs" / "deploy.md").read_text()
    assert "imagetools inspect python:3.11-slim" in deploy, "how to pin a newer digest"


def test_the_sbom_is_cyclonedx_from_a_tool_made_for_it_and_lists_what_the_lock_installs():
    bom = json.loads(SBOM.read_text())
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"
    tools = bom["metadata"]["tools"]["components"]
    assert "cyclonedx-py" in {t["name"] for t in tools}
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    root = bom["metadata"]["component"]
    assert (root["name"], root["version"]) == (project["name"], project["version"])
    listed = {canonicalize_name(c["name"]): c["version"] for c in bom["components"]}
    assert listed == {name: version for name, (version, _) in locked().items()}, "run deploy/supply-chain.sh --sbom"
    script = (REPO / "deploy" / "supply-chain.sh").read_text()
    assert "cyclonedx-py requirements" in script.replace('"$(tool cyclonedx-py)"', "cyclonedx-py")
