#!/usr/bin/env bash
# Application script for CT 954 (n8n workflow automation): runs INSIDE the container. Safe to run again.
set -euo pipefail
NAME=n8n IMAGE=n8nio/n8n:1.70.3 ARGS='-p 5678:5678 -v /srv/n8n:/home/node/.n8n'
docker pull "$IMAGE"
docker rm -f "$NAME" >/dev/null 2>&1 || true
docker run -d --name "$NAME" --restart unless-stopped $ARGS "$IMAGE"
echo "$NAME running ($IMAGE)"
