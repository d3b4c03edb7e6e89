#!/usr/bin/env bash
# Application script for CT 953, the gateway. Phoenix pushes it into the container and runs it THERE, so these are
# plain commands: install nginx and make sure it runs. Safe to run again.
set -euo pipefail

if ! command -v nginx >/dev/null 2>&1; then
  apt-get update -q
  apt-get install -y -q nginx
fi
systemctl enable --now nginx
echo "gateway ready"
