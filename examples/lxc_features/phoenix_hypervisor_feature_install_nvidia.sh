#!/usr/bin/env bash
# LXC feature "nvidia": installs the NVIDIA user-space driver inside container $1 so it can use the host's GPUs.
# Runs on the hypervisor and acts only through `pct exec`; skips when nvidia-smi already works.
# The driver version is the fleet's global nvidia_driver_version (in the hypervisor config file Phoenix passes):
# naming the global here is what makes a change of it re-run this feature, and only this one.
set -euo pipefail
CTID="${1:?usage: $0 CTID}"
CONFIG="${PHOENIX_HYPERVISOR_CONFIG_FILE:-}"
VERSION=""
if [ -n "$CONFIG" ] && [ -r "$CONFIG" ]; then
  VERSION="$(sed -n 's/.*"nvidia_driver_version": *"\([^"]*\)".*/\1/p' "$CONFIG" | head -n 1)"
fi

if pct exec "$CTID" --keep-env 0 -- sh -c 'command -v nvidia-smi' >/dev/null 2>&1; then
  echo "nvidia user-space driver already present in CT $CTID"
  exit 0
fi
echo "installing nvidia user-space driver ${VERSION:-(distribution default)} in CT $CTID"
pct exec "$CTID" --keep-env 0 -- apt-get update -q
pct exec "$CTID" --keep-env 0 -- apt-get install -y -q --no-install-recommends nvidia-driver nvidia-smi
