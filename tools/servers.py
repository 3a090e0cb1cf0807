"""Start and stop the real servers the test suite talks to (Redis, the Firestore emulator, an OpenAI-compatible
server and the Portkey gateway in front of it).

    python tools/servers.py start   # prints `export NAME=value` lines for the shell
    python tools/servers.py stop

Each server gets a free loopback port; pids and logs live in `.run/servers/` ($SERVERS_DIR overrides).
A missing Redis is installed from Debian's packages; a missing Firestore emulator is an error. The gateway
(npm `@portkey-ai/gateway`, pinned in tools/portkey/package-lock.json) is installed by `npm ci` when its
node_modules is missing or older than the lock. Provider keys (OPENAI_API_KEY, PORTKEY_API_KEY) are never
exported: tests and notebooks point providers at these servers explicitly.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
RUN_DIR = Path(os.environ.get("SERVERS_DIR") or TOOLS.parent / ".run" / "servers")
PORTKEY = TOOLS / "portkey"
STATE = RUN_DIR / "state.json"
PROJECT = "agent-workspace-test"


def free_port() -> int:
    """A port nobody listens on right now, on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, what: str, timeout: float = 30.0) -> None:
    """Poll `check()` until it is true or fail loudly."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit(f"servers: {what} did not become ready within {timeout:.0f}s (see {RUN_DIR})")


def ensure_redis_server() -> str:
    """Path of redis-server, installing Debian's package when it is missing."""
    found = shutil.which("redis-server")
    if found:
        return found
    print("servers: redis-server not on PATH; installing Debian's redis-server", file=sys.stderr)
    apt = ["apt-get", "-qq", "-o", "Dpkg::Use-Pty=0"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*apt, "update"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(
        [*apt, "install", "-y", "--no-install-recommends", "redis-server"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    found = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(found).exists():
        sys.exit("servers: redis-server is still missing after apt-get install")
    return found


def firestore_emulator_jar() -> Path:
    """The Cloud Firestore emulator jar under the gcloud SDK root, or a loud error."""
    roots = [os.environ.get("CLOUDSDK_ROOT_DIR", ""), "/usr/lib/google-cloud-sdk", "/usr/share/google-cloud-sdk"]
    gcloud = shutil.which("gcloud")
    if gcloud:
        info = subprocess.run([gcloud, "info", "--format=value(installation.sdk_root)"], capture_output=True, text=True)
        roots.insert(0, info.stdout.strip())
    for root in filter(None, roots):
        jar = Path(root) / "platform" / "cloud-firestore-emulator" / "cloud-firestore-emulator.jar"
        if jar.exists():
            return jar
    sys.exit(
        "servers: the Cloud Firestore emulator is not installed.\n"
        "  Install it with: apt-get install google-cloud-cli-firestore-emulator (Google's apt source)\n"
        "  or: gcloud components install cloud-firestore-emulator"
    )


def ensure_portkey_gateway() -> Path:
    """The gateway's launcher, after `npm ci` when node_modules is missing or older than the lock."""
    for tool in ("node", "npm"):
        if not shutil.which(tool):
            sys.exit(f"servers: {tool} is not on PATH; the Portkey gateway needs Node.js 20 or later")
    installed, lock = PORTKEY / "node_modules" / ".package-lock.json", PORTKEY / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime <= lock.stat().st_mtime:
        print("servers: installing the Portkey gateway (npm ci --prefix tools/portkey)", file=sys.stderr)
        subprocess.run(
            ["npm", "ci", "--prefix", str(PORTKEY), "--no-audit", "--no-fund", "--ignore-scripts"],
            check=True,
            stdout=sys.stderr,
        )
    return PORTKEY / "launch.mjs"


def spawn(name: str, argv: list[str]) -> int:
    """Start `argv` detached, logging to .run/servers/<name>.log; return its pid."""
    with open(RUN_DIR / f"{name}.log", "wb") as log:
        proc = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    return proc.pid


def redis_ping(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
        s.sendall(b"PING\r\n")
        return s.recv(16).startswith(b"+PONG")


def http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=0.5) as r:  # noqa: S310 (loopback http only)
        return r.status == 200


def redis_argv(port: int, folder: Path, maxmemory: str) -> list[str]:
    """redis-server on loopback `port`: the outbox lives there too, so an append-only file fsync'd on every write;
    past `maxmemory` only keys with a TTL (the windows) are evicted, never the outbox's."""
    return [
        ensure_redis_server(),
        *("--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(folder)),
        *("--appendonly", "yes", "--appendfsync", "always"),
        *("--maxmemory", maxmemory, "--maxmemory-policy", "volatile-lru"),
    ]


def firestore_argv(port: int) -> list[str]:
    """The Cloud Firestore emulator's JVM on loopback `port` (run directly: a signal reaches the emulator itself)."""
    java = shutil.which("java") or "java"
    main = "com.google.cloud.datastore.emulator.firestore.CloudFirestore"
    return [java, "-cp", str(firestore_emulator_jar()), main, "start", "--host=127.0.0.1", f"--port={port}"]


def start() -> dict[str, str]:
    """Start every server; return the environment that points clients at them."""
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    if STATE.exists():
        stop()
    pids: dict[str, int] = {}
    redis_port, fs_port, compat_port, gateway_port = free_port(), free_port(), free_port(), free_port()
    pids["redis"] = spawn("redis", redis_argv(redis_port, RUN_DIR, "64mb"))
    STATE.write_text(json.dumps(pids))
    pids["firestore"] = spawn("firestore", firestore_argv(fs_port))
    STATE.write_text(json.dumps(pids))
    pids["openai-compat"] = spawn(
        "openai-compat", [sys.executable, str(TOOLS / "openai_compat_server.py"), "--port", str(compat_port)]
    )
    STATE.write_text(json.dumps(pids))
    pids["portkey"] = spawn(
        "portkey",
        [shutil.which("node") or "node", str(ensure_portkey_gateway()), f"--port={gateway_port}", "--headless"],
    )
    STATE.write_text(json.dumps(pids))
    wait_until(lambda: redis_ping(redis_port), "redis-server")
    wait_until(lambda: http_ok(f"http://127.0.0.1:{compat_port}/_stats"), "OpenAI-compatible server")
    wait_until(lambda: http_ok(f"http://127.0.0.1:{gateway_port}/"), "Portkey gateway")
    wait_until(lambda: http_ok(f"http://127.0.0.1:{fs_port}/"), "Firestore emulator", timeout=60)
    return {
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "FIRESTORE_EMULATOR_HOST": f"127.0.0.1:{fs_port}",
        "GOOGLE_CLOUD_PROJECT": PROJECT,
        "OPENAI_COMPAT_URL": f"http://127.0.0.1:{compat_port}/v1",
        "PORTKEY_GATEWAY_URL": f"http://127.0.0.1:{gateway_port}/v1",
    }


def stop() -> None:
    """Stop every server this script started (by process group)."""
    if not STATE.exists():
        return
    for pid in json.loads(STATE.read_text()).values():
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
    STATE.unlink()


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "start":
        for key, value in start().items():
            print(f"export {key}={value}")
    elif command == "stop":
        stop()
    else:
        sys.exit(__doc__)
