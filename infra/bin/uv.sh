#!/usr/bin/env bash
# Runs uv from wherever bootstrap put it.
set -euo pipefail
if command -v uv >/dev/null 2>&1; then exec uv "$@"; fi
for candidate in "$HOME/.local/bin/uv" "$(python3 -m site --user-base 2>/dev/null)/bin/uv"; do
  [ -x "$candidate" ] && exec "$candidate" "$@"
done
echo "uv not found: run 'make bootstrap'" >&2
exit 127
