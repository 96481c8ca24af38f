#!/usr/bin/env bash
# Makes .venv-verl, the veRL environment of `backend.type: verl` runs, idempotently: pinned requirements
# (python/requirements-verl.txt, torch first), then this package's Python side with --no-deps (its veRL plugin
# is registered through the `verl.plugins` entry point). A re-run with nothing changed takes a second: the
# step records a stamp of its inputs and is skipped while it matches.
# VERL_VENV_DIR installs elsewhere (a test of this script); vLLM for GPU machines: see `still doctor`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/still-rl-here.sh
venv=${VERL_VENV_DIR:-.venv-verl}
stamps=.cache/setup
mkdir -p "$stamps"
stamp="$stamps/verl-$(printf '%s' "$venv" | sha256sum | cut -c1-8)"
log() { printf 'setup:verl: %s\n' "$*" >&2; }
hash=$(cat python/requirements-verl.txt python/pyproject.toml | sha256sum | cut -c1-16)
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
  still_rl_here "$venv"
  exit 0
fi
log "installing veRL into $venv (pinned: python/requirements-verl.txt; about 3 minutes)"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
pip=("$venv/bin/pip" install -q --disable-pip-version-check)
"${pip[@]}" "$(grep -E '^torch==' python/requirements-verl.txt)"
"${pip[@]}" -r python/requirements-verl.txt
"${pip[@]}" --no-deps -e python
"$venv/bin/python" -c 'import verl, still_rl.verl.check as c; e = c.load_plugin(); assert not e, e; print("setup:verl: verl", verl.__version__, "+ still-rl plugin")' >&2
echo "$hash" >"$stamp"
