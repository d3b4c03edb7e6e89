#!/usr/bin/env bash
# Application script for CT 960 (ComfyUI on the GPU): runs INSIDE the container. Safe to run again.
set -euo pipefail
NAME=comfyui IMAGE=yanwk/comfyui-boot:cu124-slim ARGS='--gpus all -p 8188:8188 -v /srv/comfyui:/root'
docker pull "$IMAGE"
docker rm -f "$NAME" >/dev/null 2>&1 || true
docker run -d --name "$NAME" --restart unless-stopped $ARGS "$IMAGE"
echo "$NAME running ($IMAGE)"
