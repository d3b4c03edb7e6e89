#!/usr/bin/env bash
# Application script for CT 956 (open-webui, talks to ollama on 955): runs INSIDE the container. Safe to run again.
set -euo pipefail
NAME=open-webui IMAGE=ghcr.io/open-webui/open-webui:main ARGS='-p 80:8080 -e OLLAMA_BASE_URL=http://10.0.0.155:11434 -v /srv/webui:/app/backend/data'
docker pull "$IMAGE"
docker rm -f "$NAME" >/dev/null 2>&1 || true
docker run -d --name "$NAME" --restart unless-stopped $ARGS "$IMAGE"
echo "$NAME running ($IMAGE)"
