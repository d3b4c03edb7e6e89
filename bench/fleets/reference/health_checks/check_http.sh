#!/usr/bin/env bash
# Health check: the container $1 answers HTTP on its service port (asked from inside, via `pct exec`).
set -euo pipefail
CTID="${1:?usage: $0 CTID}"

pct exec "$CTID" --keep-env 0 -- curl -fsS -o /dev/null --max-time 5 http://localhost/
echo "CT $CTID answers HTTP"
