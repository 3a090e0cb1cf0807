#!/usr/bin/env bash
# Every check of the workspace (`make test` runs it with the project's .venv first on PATH).
# Runs all steps, then fails if any failed; prints a one-line summary at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
passed=0; failed=0; failures=()

step() {  # step NAME COMMAND...
  local name=$1; shift
  printf '\n==> %s\n' "$name"
  local t0=$SECONDS
  if "$@"; then passed=$((passed + 1)); echo "--> ok: $name ($((SECONDS - t0))s)"
  else failed=$((failed + 1)); failures+=("$name"); echo "--> FAILED: $name ($((SECONDS - t0))s)"; fi
}

pytest_run() {  # pytest exits 5 when it collected nothing: a missing test file is a failure, said plainly
  pytest "$@"; local rc=$?
  [ $rc -eq 5 ] && echo "pytest collected no tests from: $*"
  return $rc
}

step "ruff (service, infra, tools)" bash -c 'ruff check service infra tools && ruff format --check service infra tools'
step "actionlint (.github/workflows)" bash tools/lint_workflows.sh
step "hadolint (every Dockerfile)" bash tools/lint_dockerfiles.sh
step "notebooks clean and agent_lib in sync" bash tools/check_nbs.sh

# Real servers for everything below; stopped on exit.
if exports=$(python tools/servers.py start); then
  trap 'python tools/servers.py stop' EXIT
  eval "$exports"
  echo "servers up: $(echo "$exports" | sed 's/export //' | tr '\n' ' ')"
else
  failed=$((failed + 1)); failures+=("start test servers")
fi

step "nbdev_test (all notebooks, integration cells included)" nbdev_test --flags integration --do_print
step "nbval (stored outputs of docs notebooks)" pytest_run -q --nbval nbs/*.ipynb
step "pytest (agent_lib, service)" pytest_run -q tests service/tests
# Pulumi's mock runtime wants an event loop of its own: the infra project runs in its own pytest process.
step "pytest (infra, Pulumi mocks)" pytest_run -q infra/tests
step "dashboard (lint, types, unit, e2e in Chromium)" bash tools/test_dashboard.sh

echo; echo "make test took $(( $(date +%s) - start ))s"
[ "$failed" -ne 0 ] && printf 'failed step: %s\n' "${failures[@]}"
echo "steps: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
