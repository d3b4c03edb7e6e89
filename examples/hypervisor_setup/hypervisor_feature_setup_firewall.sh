#!/usr/bin/env bash
# Hypervisor setup: firewall. Read-only example: prints the cluster firewall options through pvesh.
# Usage: $0 CONFIG_FILE (the config as $1, as the original orchestrator passed it to every setup script but ZFS)
set -euo pipefail
CONFIG="${1:?usage: $0 CONFIG_FILE}"
[ -r "$CONFIG" ] || { echo "cannot read hypervisor config: $CONFIG" >&2; exit 1; }

echo "firewall options (config: $CONFIG):"
pvesh get /cluster/firewall/options --output-format json
