#!/usr/bin/env bash
# Run a command with the real test servers up (Redis, Firestore emulator), and stop them afterwards.
#   tools/with_servers.sh COMMAND [ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
exports=$(python tools/servers.py start)
trap 'python tools/servers.py stop' EXIT
eval "$exports"
echo "servers: ${exports//export /}" | tr '\n' ' '; echo
"$@"
