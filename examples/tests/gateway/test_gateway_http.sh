#!/usr/bin/env bash
# Test for the gateway container $1: nginx answers on port 80 inside the container (checked via `pct exec`).
set -euo pipefail
CTID="${1:?usage: $0 CTID}"

pct exec "$CTID" --keep-env 0 -- sh -c 'wget -q -O /dev/null http://127.0.0.1/ || curl -fsS -o /dev/null http://127.0.0.1/'
