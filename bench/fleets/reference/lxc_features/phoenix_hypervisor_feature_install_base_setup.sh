#!/usr/bin/env bash
# LXC feature "base_setup": locale, time zone and the admin tools every container of the fleet gets.
# Runs on the hypervisor and acts only through `pct exec`; skips when the marker file says it already ran.
set -euo pipefail
CTID="${1:?usage: $0 CTID}"

if pct exec "$CTID" --keep-env 0 -- test -f /etc/phoenix/base-setup.done; then
  echo "base setup already done in CT $CTID"
  exit 0
fi
pct exec "$CTID" --keep-env 0 -- apt-get update -q
pct exec "$CTID" --keep-env 0 -- apt-get install -y -q curl ca-certificates locales sudo
pct exec "$CTID" --keep-env 0 -- ln -sf /usr/share/zoneinfo/Etc/UTC /etc/localtime
pct exec "$CTID" --keep-env 0 -- sh -c 'mkdir -p /etc/phoenix && touch /etc/phoenix/base-setup.done'
