#!/usr/bin/env bash
# LXC feature "docker": installs Docker Engine inside container $1. Runs on the hypervisor; acts only through
# `pct exec`, and does nothing when Docker is already there (safe to run again).
set -euo pipefail
CTID="${1:?usage: $0 CTID}"

if pct exec "$CTID" --keep-env 0 -- sh -c 'command -v docker' >/dev/null 2>&1; then
  echo "docker already installed in CT $CTID"
  exit 0
fi
echo "installing docker in CT $CTID"
pct exec "$CTID" --keep-env 0 -- apt-get update -q
pct exec "$CTID" --keep-env 0 -- apt-get install -y -q docker.io
pct exec "$CTID" --keep-env 0 -- systemctl enable --now docker
