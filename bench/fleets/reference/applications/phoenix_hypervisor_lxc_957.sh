#!/usr/bin/env bash
# Application script for CT 957 (llama.cpp server on the GPU): runs INSIDE the container. Safe to run again.
set -euo pipefail
apt-get install -y -q git cmake build-essential
[ -d /opt/llama.cpp ] || git clone --depth 1 https://github.com/ggml-org/llama.cpp /opt/llama.cpp
cmake -S /opt/llama.cpp -B /opt/llama.cpp/build -DGGML_CUDA=ON
cmake --build /opt/llama.cpp/build -j --target llama-server
systemctl enable --now llama-server || true
echo "llama.cpp built"
