#!/usr/bin/env bash
# Hypervisor setup: firewall. Read-only example: prints the cluster firewall options through pvesh.
# Usage: $0 --config FILE
set -euo pipefail
CONFIG=""
while [ $# -gt 0 ]; do
  case "$1" in
    --config) CONFIG="${2:?--config needs a file}"; shift 2 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
[ -r "$CONFIG" ] || { echo "cannot read hypervisor config: $CONFIG" >&2; exit 1; }

echo "firewall options (config: $CONFIG):"
pvesh get /cluster/firewall/options --output-format json
