#!/usr/bin/env bash
# Fail when notebooks are not clean or agent_lib/ is not what nbdev_export makes of them.
# Works on a copy, so it never changes the tree it checks.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp settings.ini "$tmp/"
cp -r nbs "$tmp/"
(cd "$tmp" && nbdev_clean >/dev/null && nbdev_export >/dev/null)
status=0
if ! unclean=$(diff -rq nbs "$tmp/nbs" -x .ipynb_checkpoints -x __pycache__); then
  echo "FAIL: notebooks are not clean (nbdev_clean would change them). Run 'make clean' and commit:"
  echo "$unclean" | sed 's/^/  /'; status=1
fi
if ! stale=$(diff -r agent_lib "$tmp/agent_lib" -x __pycache__); then
  echo "FAIL: agent_lib/ is out of sync with nbs/. Edit the notebooks, run 'make export' (nbdev_export) and commit;"
  echo "      never edit agent_lib/ by hand. What nbdev_export would change:"
  echo "$stale" | head -40 | sed 's/^/  /'; status=1
fi
[ $status -eq 0 ] && echo "notebooks clean; agent_lib in sync with nbs/"
exit $status
