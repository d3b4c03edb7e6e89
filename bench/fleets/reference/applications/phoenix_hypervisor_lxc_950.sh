#!/usr/bin/env bash
# Application script for CT 950: runs INSIDE the container and starts vLLM as a systemd service serving one model.
# Safe to run again: the unit file is rewritten with the same content and the service restarted.
set -euo pipefail
MODEL="${VLLM_MODEL:-Qwen/Qwen2.5-7B-Instruct-AWQ}"

cat >/etc/systemd/system/vllm.service <<UNIT
[Unit]
Description=vLLM OpenAI-compatible server
After=network-online.target

[Service]
ExecStart=/opt/vllm/bin/vllm serve ${MODEL} --host 0.0.0.0 --port 8000
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable vllm
systemctl restart vllm
echo "vllm serving ${MODEL} on port 8000"
