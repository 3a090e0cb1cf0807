"""Fixtures for agent_lib's test suites: the real servers that `make test` started, isolated per test.

Run these suites through `make test`, or with servers up: `tools/with_servers.sh pytest tests`.
A missing server is a failure, never a skip.
"""

import os
import uuid

import pytest


def _require(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run through `make test` or `tools/with_servers.sh pytest ...`")
    return value


@pytest.fixture
def redis_url() -> str:
    """URL of the real Redis server (maxmemory + allkeys-lru) started for this test run."""
    return _require("REDIS_URL")


@pytest.fixture
def firestore_emulator() -> str:
    """host:port of the real Cloud Firestore emulator started for this test run."""
    return _require("FIRESTORE_EMULATOR_HOST")


@pytest.fixture
def namespace() -> str:
    """A prefix unique to this test, for keys, users and Firestore projects, so tests never collide."""
    return f"t{uuid.uuid4().hex[:12]}"
