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
url="http://127.0.0.1:${port}"
body='{"user": "me", "session": "s1", "message": "Hello!"}'
echo "Chat service: ${url}  (try: curl ${url}/healthz; ready when ${url}/readyz answers 200)"
echo "Chat:         curl -s ${url}/v1/chat -H 'Content-Type: application/json' -d '${body}'"
echo "Streaming:    curl -sN ${url}/v1/chat -H 'Content-Type: application/json' -d '${body%\}}, \"stream\": true}'"
echo "Memory:       curl -s ${url}/v1/users/me/sessions   (OpenAI API: ${url}/v1/chat/completions, docs: ${url}/docs)"
exec uvicorn app.main:app --app-dir service --host 127.0.0.1 --port "$port"
