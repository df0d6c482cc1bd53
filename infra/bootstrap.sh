#!/usr/bin/env bash
# Installs uv (from PyPI) and syncs the workspace's locked dependencies into .venv, then vendors
# the web assets (npm, from web/package-lock.json; quick when nothing changed).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! infra/bin/uv.sh --version >/dev/null 2>&1; then
  python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv
fi
infra/bin/uv.sh sync --locked --quiet
infra/web/vendor.sh
