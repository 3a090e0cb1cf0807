"""Fixtures: the dev and prod stacks, each run once per session under Pulumi mocks (see infra_mocks.py)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # infra_mocks (and through it infra/) for the tests

from infra_mocks import Deployment, deploy


def pytest_configure(config):
    # pulumi_gcp warns about its own deprecated resources when its submodules are imported; not ours to fix.
    config.addinivalue_line("filterwarnings", r"ignore::DeprecationWarning:pulumi_gcp\..*")


@pytest.fixture(scope="session")
def dev() -> Deployment:
    return deploy("dev")


@pytest.fixture(scope="session")
def prod() -> Deployment:
    return deploy("prod")


@pytest.fixture(params=["dev", "prod"])
def deployment(request) -> Deployment:
    """Each stack in turn."""
    return request.getfixturevalue(request.param)
