#!/usr/bin/env bash
# Hypervisor setup: ZFS. In --mode safe (what Phoenix passes) it never creates or destroys pools; it only reports
# which storages Proxmox knows, via pvesm. Usage: $0 --config FILE [--mode safe]
set -euo pipefail
CONFIG=""
MODE="safe"
while [ $# -gt 0 ]; do
  case "$1" in
    --config) CONFIG="${2:?--config needs a file}"; shift 2 ;;
    --mode) MODE="${2:?--mode needs a value}"; shift 2 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
[ -r "$CONFIG" ] || { echo "cannot read hypervisor config: $CONFIG" >&2; exit 1; }

echo "zfs setup (mode: $MODE), config: $CONFIG"
if [ "$MODE" != "safe" ]; then
  echo "only --mode safe is supported by this example" >&2
  exit 2
fi
echo "storages of type zfspool:"
pvesm status | awk 'NR == 1 || $2 == "zfspool"'
