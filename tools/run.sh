#!/usr/bin/env bash
# The main job: the chat service on embedded defaults (no keys, no cloud), on 127.0.0.1.
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
echo "Chat service: http://127.0.0.1:${port}  (try: curl http://127.0.0.1:${port}/healthz)"
exec uvicorn app.main:app --app-dir service --host 127.0.0.1 --port "$port"
