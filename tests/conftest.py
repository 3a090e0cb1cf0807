"""Fixtures for agent_lib's test suites: the real servers that `make test` started, isolated per test.

Run these suites through `make test`, or with servers up: `tools/with_servers.sh pytest tests`.
A missing server is a failure, never a skip.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest


def _require(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run through `make test` or `tools/with_servers.sh pytest ...`")
    return value


@pytest.fixture
def redis_url() -> str:
    """URL of the real Redis server (maxmemory + volatile-lru, append-only file) started for this test run."""
    return _require("REDIS_URL")


@pytest.fixture
def firestore_emulator() -> str:
    """host:port of the real Cloud Firestore emulator started for this test run."""
    return _require("FIRESTORE_EMULATOR_HOST")


@pytest.fixture
def namespace() -> str:
    """A prefix unique to this test, for keys, users and Firestore projects, so tests never collide."""
    return f"t{uuid.uuid4().hex[:12]}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server owned by one test: it may be reconfigured, paused, killed and restarted on the same port."""

    def __init__(self, workdir: Path):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._workdir = workdir
        self._proc: subprocess.Popen | None = None

    def start(self, timeout: float = 10.0) -> None:
        """Start the server (again) on `self.port`, empty, and wait until it answers PING."""
        assert self._proc is None, "already running"
        argv = [
            shutil.which("redis-server") or pytest.fail("redis-server is not on PATH"),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self._workdir),
        ]
        self._proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        pytest.fail(f"private redis-server on port {self.port} did not answer within {timeout:.0f}s")

    def stop(self) -> None:
        """Kill the server (SIGKILL, like a crash); its data is gone. Safe to call when stopped."""
        if self._proc is None:
            return
        self._proc.kill()
        self._proc.wait(timeout=10)
        self._proc = None

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections stay open but nothing answers, so clients time out."""
        self._proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Undo `pause` (SIGCONT); the server keeps its data."""
        self._proc.send_signal(signal.SIGCONT)


@pytest.fixture
def private_redis(tmp_path):
    """A fresh redis-server on a free port, for tests that kill, pause or reconfigure it; always stopped after."""
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def compat_url() -> str:
    """Base URL (…/v1) of the OpenAI-compatible test server (tools/openai_compat_server.py)."""
    return _require("OPENAI_COMPAT_URL")


@pytest.fixture
def gateway_url() -> str:
    """Base URL (…/v1) of the real Portkey gateway (npm @portkey-ai/gateway, tools/portkey/launch.mjs)."""
    return _require("PORTKEY_GATEWAY_URL")


@pytest.fixture
def closed_url() -> str:
    """A loopback base URL on a port nobody listens on (it was free a moment ago)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"
