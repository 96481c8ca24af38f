#!/usr/bin/env bash
# Installs everything still-rl needs, idempotently: Debian packages, npm packages, the project-local Python
# virtualenv from pinned requirements, and the TypeScript build. A re-run with nothing changed takes seconds:
# each step records a stamp of its inputs and is skipped while the stamp matches.
set -euo pipefail
cd "$(dirname "$0")/.."
stamps=.cache/setup
mkdir -p "$stamps"
log() { printf 'setup: %s\n' "$*" >&2; }
stamp_ok() { [ -f "$stamps/$1" ] && [ "$(cat "$stamps/$1")" = "$2" ]; }
hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

# 1. Debian packages: bubblewrap for the code sandbox.
apt_pkgs=(bubblewrap)
missing=()
for p in "${apt_pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    log "missing Debian packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})"
  fi
fi

# 2. npm packages. A tree that `npm ci` just installed (its lock copy newer than the lockfile) counts as done.
npm_hash=$(hash_of package-lock.json)
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ] &&
  ! stamp_ok npm "$npm_hash"; then
  echo "$npm_hash" >"$stamps/npm"
fi
if [ ! -d node_modules ] || ! stamp_ok npm "$npm_hash"; then
  log "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$npm_hash" >"$stamps/npm"
fi

# 3. Python virtualenv (skipped when STILL_PYTHON points at the user's own interpreter).
if [ -z "${STILL_PYTHON:-}" ]; then
  py_hash=$(hash_of python/requirements.txt python/pyproject.toml)
  if [ ! -x .venv/bin/python ] || ! stamp_ok venv "$py_hash"; then
    log "installing the Python environment into .venv (pinned: python/requirements.txt)"
    [ -x .venv/bin/python ] || python3 -m venv .venv
    .venv/bin/pip install -q --disable-pip-version-check -r python/requirements.txt
    .venv/bin/pip install -q --disable-pip-version-check --no-deps -e python
    echo "$py_hash" >"$stamps/venv"
  fi
fi

# 4. TypeScript build, redone when a source file is newer than the last build.
if [ ! -f "$stamps/build" ] || [ ! -f dist/cli/main.js ] ||
  [ -n "$(find src tsconfig.json package.json -newer "$stamps/build" -print -quit)" ]; then
  log "building TypeScript"
  rm -rf dist
  node_modules/.bin/tsc -p tsconfig.json
  touch "$stamps/build"
fi
