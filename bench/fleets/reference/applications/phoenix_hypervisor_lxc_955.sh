#!/usr/bin/env bash
# Application script for CT 955 (ollama on the GPU): runs INSIDE the container. Safe to run again.
set -euo pipefail
if ! command -v ollama >/dev/null 2>&1; then
  curl -fsSL https://ollama.com/install.sh | sh
fi
systemctl enable --now ollama
ollama pull llama3.1:8b
echo "ollama ready"
