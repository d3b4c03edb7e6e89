#!/usr/bin/env bash
# LXC feature "vllm": installs the vLLM inference server into a Python venv inside container $1.
# Runs on the hypervisor and acts only through `pct exec`; skips when the venv already has vllm.
set -euo pipefail
CTID="${1:?usage: $0 CTID}"
VENV=/opt/vllm

if pct exec "$CTID" --keep-env 0 -- test -x "$VENV/bin/vllm"; then
  echo "vllm already installed in CT $CTID"
  exit 0
fi
echo "installing vllm in CT $CTID"
pct exec "$CTID" --keep-env 0 -- apt-get install -y -q python3-venv
pct exec "$CTID" --keep-env 0 -- python3 -m venv "$VENV"
pct exec "$CTID" --keep-env 0 -- "$VENV/bin/pip" install --quiet vllm
