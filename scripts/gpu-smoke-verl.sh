#!/usr/bin/env bash
# First run of the veRL backend on a GPU machine: a few GRPO steps through `still train` with the rewards
# computed in TypeScript (correctness + reasoning keywords), then a check that veRL's step metrics reached
# metrics.jsonl. Not runnable without a GPU and vLLM (this repository's CI has neither).
#
#   scripts/gpu-smoke-verl.sh [MODEL_DIR]      # default: the tiny Qwen2-shaped model, built here
#
# Needs: `npm run setup` and `npm run setup:verl`, then vLLM in the same venv as veRL — on a plain CUDA box
# `.venv-verl/bin/pip install "verl[vllm]==0.9.1"` (it brings its own CUDA torch), or a verlai/verl image
# with `STILL_VERL_PYTHON=/usr/bin/python3` and `pip install --no-deps -e python` there. STEPS (default 3) and
# GPUS (default: all visible) change the run.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { printf 'gpu-smoke-verl: %s\n' "$*" >&2; exit 1; }

command -v nvidia-smi >/dev/null || fail "no nvidia-smi: this script needs a CUDA GPU"
gpus=${GPUS:-$(nvidia-smi --list-gpus | wc -l)}
[ "$gpus" -ge 1 ] || fail "nvidia-smi lists no GPU"
python=${STILL_VERL_PYTHON:-.venv-verl/bin/python}
[ -x "$python" ] || fail "$python missing: run \`npm run setup:verl\` (or set STILL_VERL_PYTHON)"
"$python" -c 'import vllm' 2>/dev/null || fail "vLLM is not importable by $python: see the header of this script"
[ -f dist/cli/main.js ] || npm run build

work=$(mktemp -d "${TMPDIR:-/tmp}/still-gpu-smoke-verl.XXXXXX")
model=${1:-}
if [ -z "$model" ]; then
  model="$work/tiny"
  PYTHONPATH="$PWD/python" "$python" -m still_rl.engines.hf.tiny --out "$model" >&2
fi
[ -f "$model/config.json" ] || fail "$model is not a Hugging Face model directory"

for i in $(seq 0 63); do printf '{"problem": "What is %d + %d?", "answer": "%d"}\n' "$i" "$((i + 1))" "$((2 * i + 1))"; done >"$work/train.jsonl"
steps=${STEPS:-3}
cat >"$work/smoke.yaml" <<YAML
name: gpu-smoke-verl
python: $python
model:
  path: $model
data:
  train_files: [$work/train.jsonl]
prompt:
  template: r1_zero_short
rollout:
  n: 4
  max_prompt_length: 256
  max_response_length: 256
algorithm:
  train_batch_size: $((4 * gpus))
  mini_batch_size: $((4 * gpus))
  total_steps: $steps
  kl:
    mode: cosine
    from: 1.0e-3
    steps: $steps
rewards:
  components:
    - name: format
      mode: bonus
      weight: 0.1
    - name: correctness
      extract: answer_tag
    - name: reasoning_action
      weight: 0.1
checkpoint:
  every_steps: $steps
logging:
  loggers: [console, jsonl]
backend:
  type: verl
  verl:
    n_gpus_per_node: $gpus
    tensor_parallel_size: 1
    gpu_memory_utilization: 0.4
    use_dynamic_bsz: false
    micro_batch_size_per_gpu: 2
YAML

run="$work/run"
node bin/still.js config compile "$work/smoke.yaml" --check --out "$run" >"$work/launch.sh"
node bin/still.js train "$work/smoke.yaml" --out "$run"

metrics="$run/metrics.jsonl"
[ -s "$metrics" ] || fail "no metrics arrived in $metrics (veRL log: $run/verl.log)"
lines=$(grep -c '"train/reward_mean"' "$metrics" || true)
[ "$lines" -ge "$steps" ] || fail "$lines of $steps steps reported train/reward_mean in $metrics"
printf 'gpu-smoke-verl: ok: %s steps with TS rewards; metrics %s, report %s\n' "$lines" "$metrics" "$run/report.html"
