#!/usr/bin/env bash
# The dashboard's checks: eslint, prettier, tsc, Vitest, the OpenAPI snapshot, `next build`, then end-to-end in
# Debian's Chromium (playwright-core) against the built dashboard and the real service on embedded defaults.
# Screenshots land in dashboard/test-results/screenshots/. Run from anywhere; `make test` runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
[ -x .venv/bin/python ] && export PATH="$root/.venv/bin:$PATH"  # the service's Python, as under `make test`
export NEXT_TELEMETRY_DISABLED=1

if [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian's chromium"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

cd dashboard
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

echo "--- eslint, prettier, tsc"
npx eslint .
npx prettier --check .
npx tsc --noEmit
echo "--- vitest"
npx vitest run
echo "--- lib/api-types.ts is generated from openapi.json"
types=$(mktemp)
npx openapi-typescript openapi.json -o "$types" >/dev/null
diff -u lib/api-types.ts "$types" || { echo "lib/api-types.ts is stale: npm run gen:types"; exit 1; }
rm -f "$types"
echo "--- next build"
npm run build >/tmp/dashboard-build.$$.log 2>&1 || { cat /tmp/dashboard-build.$$.log; exit 1; }
tail -n 15 /tmp/dashboard-build.$$.log; rm -f /tmp/dashboard-build.$$.log

free_port() { python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {  # wait_for URL SECONDS PID: until URL answers 200, while PID lives
  local deadline=$((SECONDS + $2))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ]; do
    kill -0 "$3" 2>/dev/null || { echo "process $3 exited before $1 answered"; return 1; }
    [ $SECONDS -lt $deadline ] || { echo "$1 did not answer 200 within $2s"; return 1; }
    sleep 0.5
  done
}

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The service as service/tests/conftest.py starts it: embedded defaults, its own data, short replies, no cloud.
# With a bearer key, so the e2e proves the dashboard sends it server-side and never shows it.
key="dashboard-e2e-$(python -c 'import secrets; print(secrets.token_hex(12))')"
sport=$(free_port)
(
  for v in $(compgen -e); do
    case $v in REDIS_URL | FIRESTORE_EMULATOR_HOST | GOOGLE_CLOUD_PROJECT | VERTEX_* | OPENAI_* | PORTKEY_* | SERVICE_API_KEYS) unset "$v" ;; esac
  done
  export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
  export MEMORY_DATA_DIR="$work/data" AGENT_MAX_TOKENS=16 AGENT_TEMPERATURE=0 ENVIRONMENT=test SERVICE_API_KEYS="$key"
  # idle sessions become summaries and facts within seconds, so the e2e sees the summary view; the embedded model
  # does not promote by default (its summaries are noise), so promotion is forced on for this check of the UI
  export PROMOTE_IDLE_AFTER_S=5 PROMOTE_IDLE_EVERY_S=0.5 MEMORY_LLM_PROMOTION=on
  cd "$root" && exec python -m uvicorn app.main:app --app-dir service --host 127.0.0.1 --port "$sport"
) >"$work/service.log" 2>&1 &
pids+=($!)
service_url="http://127.0.0.1:$sport"
echo "--- service on $service_url (waiting for /readyz)"
wait_for "$service_url/readyz" 180 "${pids[0]}" || { tail -n 40 "$work/service.log"; exit 1; }

echo "--- openapi.json matches the running service's schema"
curl -sf "$service_url/openapi.json" >"$work/openapi.json"
python - "$work/openapi.json" openapi.json <<'PY' || { echo "dashboard/openapi.json drifted: see dashboard/README.md"; exit 1; }
import json, sys
live, snap = (json.load(open(p)) for p in sys.argv[1:])
sys.exit(0 if live == snap else 1)
PY

dport=$(free_port)
(
  export PORT="$dport" HOSTNAME=127.0.0.1 API_BASE_URL="$service_url" SERVICE_API_KEY="$key"
  export BENCH_RESULTS_DIR="$root/dashboard/e2e/bench-results"  # recorded results: bench-results/ is empty on a clean clone
  exec node .next/standalone/server.js
) >"$work/dashboard.log" 2>&1 &
pids+=($!)
dashboard_url="http://127.0.0.1:$dport"
echo "--- dashboard on $dashboard_url"
wait_for "$dashboard_url/benchmarks" 60 "${pids[1]}" || { tail -n 40 "$work/dashboard.log"; exit 1; }

echo "--- e2e in Chromium"
rm -rf test-results/screenshots
if ! DASHBOARD_URL="$dashboard_url" SERVICE_URL="$service_url" SECRET="$key" SHOTS=test-results/screenshots node e2e/run.mjs; then
  echo "--- dashboard log"; tail -n 40 "$work/dashboard.log"
  echo "--- service log"; tail -n 40 "$work/service.log"
  exit 1
fi
ls test-results/screenshots
