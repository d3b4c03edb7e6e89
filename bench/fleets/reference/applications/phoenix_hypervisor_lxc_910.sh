#!/usr/bin/env bash
# Application script for CT 910 (portainer): runs INSIDE the container. Safe to run again.
set -euo pipefail
NAME=portainer IMAGE=portainer/portainer-ce:2.24.1 ARGS='-p 9443:9443 -v /var/run/docker.sock:/var/run/docker.sock -v /srv/portainer:/data'
docker pull "$IMAGE"
docker rm -f "$NAME" >/dev/null 2>&1 || true
docker run -d --name "$NAME" --restart unless-stopped $ARGS "$IMAGE"
echo "$NAME running ($IMAGE)"
