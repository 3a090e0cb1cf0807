"""The service settings: comma-separated keys, and no placeholder secrets outside local development."""

import pytest
from pydantic import ValidationError

from app.core.config import Settings

REAL_KEY = "k3y-" + "9f8e7d6c5b4a3210"


def test_keys_are_comma_separated(monkeypatch):
    monkeypatch.setenv("SERVICE_API_KEYS", f" {REAL_KEY}, other-{REAL_KEY} ,")
    assert Settings().api_keys == [REAL_KEY, f"other-{REAL_KEY}"]


def test_no_keys_means_an_open_api(monkeypatch):
    monkeypatch.delenv("SERVICE_API_KEYS", raising=False)
    assert Settings(environment="prod").api_keys == []


@pytest.mark.parametrize("key", ["changeme", "CHANGEME", "secret", "short-key"])
@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_placeholder_keys_are_refused_when_deployed(monkeypatch, environment, key):
    monkeypatch.setenv("ENVIRONMENT", environment)
    monkeypatch.setenv("SERVICE_API_KEYS", f"{REAL_KEY},{key}")
    with pytest.raises(ValidationError, match="placeholder"):
        Settings()


def test_placeholder_keys_are_tolerated_in_development(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "development")
    monkeypatch.setenv("SERVICE_API_KEYS", "changeme")
    assert Settings().api_keys == ["changeme"]


def test_real_keys_are_accepted_in_production():
    assert Settings(environment="prod", service_api_keys=REAL_KEY).api_keys == [REAL_KEY]


def test_unknown_environment_is_refused():
    with pytest.raises(ValidationError):
        Settings(environment="staging-eu")


def test_json_logs_default_to_deployed_environments():
    assert Settings(environment="prod").json_logs and not Settings(environment="development").json_logs
    assert Settings(environment="development", log_json=True).json_logs
