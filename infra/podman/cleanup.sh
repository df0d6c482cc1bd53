#!/usr/bin/env bash
# Removes the containers testcontainers left behind (label org.testcontainers=true), with their
# anonymous volumes. Ryuk is disabled on podman, so nothing else reaps them.
set -euo pipefail
command -v podman >/dev/null 2>&1 || exit 0
mapfile -t ids < <(podman ps -aq --filter label=org.testcontainers=true)
if [ "${#ids[@]}" -gt 0 ]; then
  podman rm -f -v -t 5 "${ids[@]}" >/dev/null
  echo "[podman-cleanup] removed ${#ids[@]} test container(s)" >&2
fi
