#!/usr/bin/env bash
# VM feature "docker": installs Docker Engine. Runs INSIDE the VM, never on the Proxmox host: Phoenix writes it into
# the VM's cloud-init data, which runs it at the VM's first boot (with the VMID as $1), and runs it through the guest
# agent when it changes later. Idempotent: a second run finds docker and stops.
set -euo pipefail
VMID="${1:-}"

if command -v docker >/dev/null 2>&1; then
  echo "docker already installed in VM ${VMID}"
  exit 0
fi
echo "installing docker in VM ${VMID}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q docker.io
systemctl enable --now docker
