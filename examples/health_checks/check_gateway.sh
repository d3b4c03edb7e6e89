#!/usr/bin/env bash
# Health check for the gateway container $1: runs on the hypervisor and asks the container, via `pct exec`,
# whether nginx is active. Exit 0 = healthy; Phoenix retries as health_check.retries/interval say.
set -euo pipefail
CTID="${1:?usage: $0 CTID}"

pct exec "$CTID" --keep-env 0 -- systemctl is-active --quiet nginx
echo "nginx is active in CT $CTID"
