#!/usr/bin/env bash
# The main job: the chat service on embedded defaults (no keys, no cloud), on 127.0.0.1, and the dashboard beside it
# (built on first use; skipped with a note when node is missing). The service's URL is the first URL printed.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-$(python - <<'PY'
import socket
s = socket.socket()
try:
    s.bind(("127.0.0.1", 8000))
    print(8000)
except OSError:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
finally:
    s.close()
PY
)}
url="http://127.0.0.1:${port}"
body='{"user": "me", "session": "s1", "message": "Hello!"}'
echo "Chat service: ${url}  (try: curl ${url}/healthz; ready when ${url}/readyz answers 200)"
echo "Chat:         curl -s ${url}/v1/chat -H 'Content-Type: application/json' -d '${body}'"
echo "Streaming:    curl -sN ${url}/v1/chat -H 'Content-Type: application/json' -d '${body%\}}, \"stream\": true}'"
echo "Memory:       curl -s ${url}/v1/users/me/sessions   (OpenAI API: ${url}/v1/chat/completions, docs: ${url}/docs)"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
uvicorn app.main:app --app-dir service --host 127.0.0.1 --port "$port" &
pids+=($!)

dashboard=dashboard/.next/standalone/server.js
build_dashboard() {  # on first use, and again when its sources or lock changed; false (with the log's path) on failure
  [ -f "$dashboard" ] && [ -z "$(find dashboard/app dashboard/components dashboard/lib dashboard/package-lock.json \
    dashboard/next.config.ts -newer "$dashboard" -print -quit)" ] && return 0
  echo "Building the dashboard (about a minute; log: dashboard/.next/build.log)..."
  (
    cd dashboard && export NEXT_TELEMETRY_DISABLED=1 && mkdir -p .next && : >.next/build.log &&
      { [ -d node_modules ] && [ ! package-lock.json -nt node_modules/.package-lock.json ] ||
        npm ci --no-audit --no-fund >>.next/build.log 2>&1; } &&
      npm run build >>.next/build.log 2>&1
  ) || { echo "Dashboard:    not started: the build failed, see dashboard/.next/build.log"; return 1; }
}
# The dashboard (dashboard/README.md): Next's standalone server, talking to the service server-side. The service
# keeps running when node is missing or the build fails.
if ! command -v npm >/dev/null; then
  echo "Dashboard:    not started: node and npm are missing (see dashboard/README.md)"
elif build_dashboard; then
  dport=${DASHBOARD_PORT:-$(python -c 'import socket
s = socket.socket()
try:
    s.bind(("127.0.0.1", 3000))
except OSError:
    s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()')}
  keys=${SERVICE_API_KEYS:-}
  API_BASE_URL="$url" SERVICE_API_KEY="${SERVICE_API_KEY:-${keys%%,*}}" BENCH_RESULTS_DIR="$PWD/bench-results" \
    PORT="$dport" HOSTNAME=127.0.0.1 NEXT_TELEMETRY_DISABLED=1 node "$dashboard" >/dev/null &
  pids+=($!)
  echo "Dashboard:    http://127.0.0.1:${dport}  (chat, sessions and memory, system, benchmarks)"
fi
wait -n "${pids[@]}"
