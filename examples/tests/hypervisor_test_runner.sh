#!/usr/bin/env bash
# Hypervisor test runner: read-only checks of the host through pvesm/pvesh. Usage: $0 [--suite NAME]
set -euo pipefail
SUITE="smoke"
while [ $# -gt 0 ]; do
  case "$1" in
    --suite) SUITE="${2:?--suite needs a name}"; shift 2 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done

echo "hypervisor suite: $SUITE"
pvesm status >/dev/null && echo "PASS storages listed"
pvesh get /version --output-format json >/dev/null && echo "PASS API answers"
