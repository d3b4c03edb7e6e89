#!/usr/bin/env bash
# Application script for CT 952 (qdrant vector database): runs INSIDE the container. Safe to run again.
set -euo pipefail
NAME=qdrant IMAGE=qdrant/qdrant:v1.12.4 ARGS='-p 6333:6333 -v /srv/qdrant:/qdrant/storage'
docker pull "$IMAGE"
docker rm -f "$NAME" >/dev/null 2>&1 || true
docker run -d --name "$NAME" --restart unless-stopped $ARGS "$IMAGE"
echo "$NAME running ($IMAGE)"
