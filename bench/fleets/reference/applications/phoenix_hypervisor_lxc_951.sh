#!/usr/bin/env bash
# Application script for CT 951: runs INSIDE the container and starts vLLM as a systemd service serving one model.
# Safe to run again: the unit file is rewritten with the same content and the service restarted.
set -euo pipefail
MODEL="${VLLM_MODEL:-BAAI/bge-m3}"

cat >/etc/systemd/system/vllm-embed.service <<UNIT
[Unit]
Description=vLLM OpenAI-compatible server
After=network-online.target

[Service]
ExecStart=/opt/vllm/bin/vllm serve ${MODEL} --host 0.0.0.0 --port 8001 --task embed
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable vllm-embed
systemctl restart vllm-embed
echo "vllm serving ${MODEL} on port 8001"
