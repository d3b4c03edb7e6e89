#!/usr/bin/env bash
# VM feature "docker": installs Docker Engine inside VM $1 through the QEMU guest agent (`qm guest exec`).
# `qm guest exec` exits 0 even when the command fails, so each step checks the reported exitcode.
set -euo pipefail
VMID="${1:?usage: $0 VMID}"

# Run a shell command in the VM; succeed only if it exited 0 there.
guest_run() {
  qm guest exec "$VMID" --timeout 600 -- sh -c "$1" | grep -Eq '"exitcode"[[:space:]]*:[[:space:]]*0([^0-9]|$)'
}

if guest_run 'command -v docker'; then
  echo "docker already installed in VM $VMID"
  exit 0
fi
echo "installing docker in VM $VMID"
guest_run 'apt-get update -q && apt-get install -y -q docker.io' || { echo "docker install failed in VM $VMID" >&2; exit 1; }
guest_run 'systemctl enable --now docker' || { echo "cannot start docker in VM $VMID" >&2; exit 1; }
