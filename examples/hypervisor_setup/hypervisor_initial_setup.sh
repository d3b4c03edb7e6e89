#!/usr/bin/env bash
# Hypervisor setup, step 1: checks the basics Phoenix relies on. Read-only: it prints what it checks and calls only
# pvesh/pvesm, so it is harmless on a laptop with the simulator.
# Usage: $0 CONFIG_FILE (the config as $1, as the original orchestrator passed it to every setup script but ZFS)
set -euo pipefail
CONFIG="${1:?usage: $0 CONFIG_FILE}"
[ -r "$CONFIG" ] || { echo "cannot read hypervisor config: $CONFIG" >&2; exit 1; }

echo "hypervisor config: $CONFIG"
echo "checking the Proxmox API answers"
pvesh get /version --output-format json
echo "checking storages"
pvesm status
