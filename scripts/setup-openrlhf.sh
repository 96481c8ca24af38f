#!/usr/bin/env bash
# Makes .venv-openrlhf: OpenRLHF 0.11.2 pinned in a venv of its own (python/requirements-openrlhf.txt) with
# still-rl's Python side installed --no-deps. Idempotent: skipped while the stamp of its inputs matches.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/still-rl-here.sh
stamps=.cache/setup
mkdir -p "$stamps"
log() { printf 'setup:openrlhf: %s\n' "$*" >&2; }
hash=$(cat python/requirements-openrlhf.txt python/pyproject.toml scripts/setup-openrlhf.sh | sha256sum | cut -c1-16)
venv=.venv-openrlhf
if [ -x "$venv/bin/python" ] && [ -f "$stamps/openrlhf" ] && [ "$(cat "$stamps/openrlhf")" = "$hash" ]; then
  still_rl_here "$venv"
  exit 0
fi
log "installing OpenRLHF 0.11.2 into $venv (pinned: python/requirements-openrlhf.txt)"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
pip=("$venv/bin/pip" install -q --disable-pip-version-check)
"${pip[@]}" torch==2.13.0
"${pip[@]}" --no-deps openrlhf==0.11.2
"${pip[@]}" -r python/requirements-openrlhf.txt
"${pip[@]}" --no-deps -e python
echo "$hash" >"$stamps/openrlhf"
