#!/usr/bin/env bash
# The supply chain's two files, made again from pyproject.toml:
#
#   deploy/requirements.lock   every dependency of canipost (and its build backend), pinned, with
#                              the sha256 of every file the index has for it (pip-compile); the
#                              image installs from it with --require-hashes.
#   deploy/sbom.cdx.json       the software bill of materials: CycloneDX 1.6 JSON of exactly what
#                              the lock installs, canipost as the root component (cyclonedx-py).
#
# Usage, from anywhere:   deploy/supply-chain.sh           lock and SBOM
#                         deploy/supply-chain.sh --sbom    the SBOM only, from the current lock
#
# Needs pip-tools and cyclonedx-bom: `pip install -e '.[supply-chain]'` (they are looked for
# in .venv/bin first, then on PATH). Run it on Python 3.11, as the image is, after changing a
# dependency, and to take dependencies' security fixes; commit both files.

set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
cd "$REPO"
tool() { if [ -x ".venv/bin/$1" ]; then echo ".venv/bin/$1"; else command -v "$1" || { echo "supply-chain: $1 not found: pip install -e '.[supply-chain]'" >&2; exit 2; }; fi; }

if [ "${1:-}" != --sbom ]; then
  "$(tool pip-compile)" --quiet --generate-hashes --allow-unsafe --strip-extras --build-deps-for wheel \
    --no-emit-index-url --no-emit-find-links --output-file deploy/requirements.lock pyproject.toml
fi
"$(tool cyclonedx-py)" requirements deploy/requirements.lock --pyproject pyproject.toml --mc-type application \
  --sv 1.6 --of JSON --output-reproducible --validate -o deploy/sbom.cdx.json
echo "supply-chain: deploy/requirements.lock and deploy/sbom.cdx.json are up to date"
