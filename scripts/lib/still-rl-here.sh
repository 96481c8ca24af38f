# Sourced by the framework setup scripts. A venv whose stamp matches may still run another checkout's Python
# side (a venv shared with another checkout, or this one moved): its editable still-rl install must point here.
still_rl_here() {
  local venv=$1
  if ! "$venv/bin/python" -c 'import os, sys, still_rl; sys.exit(os.path.dirname(still_rl.__file__) != sys.argv[1])' \
    "$PWD/python/still_rl" 2>/dev/null; then
    log "pointing $venv's still-rl at $PWD/python"
    "$venv/bin/pip" install -q --disable-pip-version-check --no-deps -e python
  fi
}
