"""Fixtures: the service running for real, over HTTP on a free loopback port, on embedded defaults."""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

SERVICE_DIR = Path(__file__).resolve().parent.parent
READY_DEADLINE_S = 120  # import torch, load the local model and the embedder, on two shared cores
# Servers the service would otherwise use: the tests run it on its embedded defaults (SQLite, local index, local model).
EXTERNAL = ("REDIS_URL", "FIRESTORE_EMULATOR_HOST", "GOOGLE_CLOUD_PROJECT", "VERTEX_", "OPENAI_", "PORTKEY_")
UVICORN = [sys.executable, "-m", "uvicorn", "app.main:app"]
API_KEY = "test-key-" + "0123456789abcdef"  # a key the auth-enabled service accepts
TOKEN_SECRET = "test-token-secret-" + "0123456789abcdef0123456789abcdef"  # signs the deployed service's user tokens


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def service_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    """The environment of a test service: no external servers, its own data folder, short replies."""
    env = {k: v for k, v in os.environ.items() if not k.startswith((*EXTERNAL, "SERVICE_"))}
    env.update(
        PYTHONUNBUFFERED="1",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        MEMORY_DATA_DIR=str(data_dir),
        AGENT_MAX_TOKENS="16",
        AGENT_TEMPERATURE="0",
        ENVIRONMENT="test",
    )
    env.update(overrides)
    return env


@dataclass
class Service:
    url: str
    log: Path  # what the process wrote to stdout and stderr


@contextlib.contextmanager
def running_service(data_dir: Path, probe: str = "/readyz", **overrides: str):
    """Start uvicorn as `make run` does, wait (bounded) until `probe` answers 200, yield the `Service`, stop it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = data_dir / "service.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [*UVICORN, "--app-dir", str(SERVICE_DIR), "--host", "127.0.0.1", "--port", str(port)],
            env=service_env(data_dir, **overrides),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + READY_DEADLINE_S
    try:
        while True:
            try:
                if httpx.get(f"{url}{probe}", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{probe} did not answer 200; the service's log ends:\n{tail}")
            time.sleep(0.2)
        yield Service(url, log_path)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def live_url(tmp_path_factory):
    """Base URL of the service as `make run` starts it: /v1 open, idle sessions promoted after the default delay."""
    with running_service(tmp_path_factory.mktemp("service")) as service:
        yield service.url


@pytest.fixture(scope="session")
def deployed(tmp_path_factory):
    """A second service configured as deployed: /v1 needs `Authorization: Bearer API_KEY` (an admin key) or a user
    token signed with TOKEN_SECRET, the default rate limit applies, logs are JSON, and idle
    sessions are promoted (summarised, facts extracted, embedded) within a second, so long-term memories appear.
    The embedded model's promotion is off by default (its facts are noise): MEMORY_LLM_PROMOTION=on exercises it."""
    data_dir = tmp_path_factory.mktemp("deployed-service")
    overrides = {
        "ENVIRONMENT": "prod",
        "SERVICE_API_KEYS": API_KEY,
        "SERVICE_TOKEN_SECRET": TOKEN_SECRET,
        "MEMORY_LLM_PROMOTION": "on",
    }
    with running_service(data_dir, PROMOTE_IDLE_AFTER_S="1", PROMOTE_IDLE_EVERY_S="0.5", **overrides) as service:
        yield service


@pytest.fixture(scope="session")
def deployed_url(deployed):
    return deployed.url


@pytest.fixture(scope="session")
def broken_model(tmp_path_factory):
    """A service whose local model is a folder without weights: it starts, but warm-up fails."""
    data_dir = tmp_path_factory.mktemp("broken-model-service")
    model = data_dir / "no-weights"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"model_type": "llama", "max_position_embeddings": 2048}))
    with running_service(data_dir, probe="/healthz", LOCAL_MODEL=str(model)) as service:
        yield service


@pytest.fixture(scope="session")
def broken_model_url(broken_model):
    return broken_model.url


@pytest.fixture
def app_client(monkeypatch):
    """The app in this process, configured as deployed (admin key API_KEY, user tokens signed with TOKEN_SECRET), for
    what needs a stand-in agent or a limiter of its own (`app.dependency_overrides`, cleared after). No lifespan runs:
    a route that reaches the agent needs a test's stand-in."""
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from app.core.config import settings
    from app.main import app

    monkeypatch.setattr(settings, "service_api_keys", [SecretStr(API_KEY)])
    monkeypatch.setattr(settings, "service_token_secret", SecretStr(TOKEN_SECRET))
    try:
        yield TestClient(app, raise_server_exceptions=False)
    finally:
        app.dependency_overrides.clear()


@pytest.fixture
def auth_headers() -> dict[str, str]:
    """What a client of `deployed_url` sends."""
    return {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture
def token_secret() -> str:
    """The deployed service's SERVICE_TOKEN_SECRET."""
    return TOKEN_SECRET


@pytest.fixture
def token_for():
    """`token_for(user)`: the headers of a client holding a user token of the deployed service for `user`."""
    from app.tokens import mint

    return lambda user, ttl_s=600: {"Authorization": f"Bearer {mint(user, ttl_s, TOKEN_SECRET).token}"}


@pytest.fixture
def user() -> str:
    """A user id of this test alone: tests share one service, and memory is per user."""
    return f"u-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def client(live_url):
    async with httpx.AsyncClient(base_url=live_url, timeout=60) as c:
        yield c


@dataclass
class Event:
    event: str  # "message" when the server named none
    data: str

    def json(self):
        return json.loads(self.data)


def parse_sse(body: str) -> list[Event]:
    """Events of `body`: blank lines end an event, `data:` lines join with newlines, comments are skipped."""
    events, name, data = [], None, []
    for line in body.replace("\r\n", "\n").split("\n"):
        if not line:
            if data:
                events.append(Event(name or "message", "\n".join(data)))
            name, data = None, []
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
    return events


@pytest.fixture
def sse():
    """The SSE parser (importlib import mode: test modules cannot import helpers by name)."""
    return parse_sse
