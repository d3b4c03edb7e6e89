#!/usr/bin/env bash
# Hypervisor setup, step 1: checks the basics Phoenix relies on. Read-only: it prints what it checks and calls only
# pvesh/pvesm, so it is harmless on a laptop with the simulator. Usage: $0 --config FILE
set -euo pipefail
CONFIG=""
while [ $# -gt 0 ]; do
  case "$1" in
    --config) CONFIG="${2:?--config needs a file}"; shift 2 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
[ -r "$CONFIG" ] || { echo "cannot read hypervisor config: $CONFIG" >&2; exit 1; }

echo "hypervisor config: $CONFIG"
echo "checking the Proxmox API answers"
pvesh get /version --output-format json
echo "checking storages"
pvesm status
