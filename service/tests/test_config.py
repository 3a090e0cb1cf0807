"""The service settings: comma-separated keys, required outside local development, no placeholder secrets there,
and no secret in the error that refuses one."""

import json

import pytest
from pydantic import ValidationError

from app.core.config import Settings

REAL_KEY = "k3y-" + "9f8e7d6c5b4a3210"


def test_keys_are_comma_separated(monkeypatch):
    monkeypatch.setenv("SERVICE_API_KEYS", f" {REAL_KEY}, other-{REAL_KEY} ,")
    assert Settings().api_keys == [REAL_KEY, f"other-{REAL_KEY}"]


@pytest.mark.parametrize("keys", [None, "", ",", " , ,", " "])
@pytest.mark.parametrize("environment", ["dev", "staging", "prod", "production"])
def test_no_keys_outside_development_refuses_to_start(monkeypatch, environment, keys):
    """Without keys /v1 would be open to anyone: only local development and tests may run so."""
    monkeypatch.delenv("SERVICE_API_KEYS", raising=False)
    if keys is not None:
        monkeypatch.setenv("SERVICE_API_KEYS", keys)
    with pytest.raises(ValidationError, match="SERVICE_API_KEYS is empty"):
        Settings(environment=environment)


@pytest.mark.parametrize("environment", ["development", "test"])
def test_no_keys_means_an_open_api_locally(monkeypatch, environment):
    monkeypatch.setenv("SERVICE_API_KEYS", " , ")
    s = Settings(environment=environment)
    assert s.api_keys == [] and not s.auth_enabled


SECRET_PART = "Zq7Xw3Vb9"  # in every refused secret below: no part of it may reach the error


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({"SERVICE_API_KEYS": f"{REAL_KEY},{SECRET_PART}k"}, "SERVICE_API_KEYS holds a placeholder"),
        ({"SERVICE_API_KEYS": f"{SECRET_PART}-{REAL_KEY}", "SERVICE_TOKEN_SECRET": f"{SECRET_PART}-short"}, "TOKEN"),
        ({"SERVICE_API_KEYS": REAL_KEY, "SERVICE_TOKEN_SECRET": "changeme"}, "SERVICE_TOKEN_SECRET is a placeholder"),
    ],
)
def test_a_refused_secret_is_never_in_the_error(monkeypatch, env, reason):
    """pydantic puts the input in its message (the whole settings dict for a model check): not for secrets."""
    monkeypatch.setenv("ENVIRONMENT", "prod")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=reason) as caught:
        Settings()
    e = caught.value
    everything = " ".join([str(e), repr(e), json.dumps(e.errors(), default=str), e.json()])
    for secret in env.values():
        for part in {secret, *secret.split(","), SECRET_PART, secret[4:]}:
            assert part not in everything, part
    assert "input_value" not in str(e) and all(err["input"] == "<hidden>" for err in e.errors())


def test_other_settings_errors_keep_their_input():
    with pytest.raises(ValidationError) as caught:
        Settings(service_max_body_bytes=3)
    assert [err["input"] for err in caught.value.errors()] == [3]


def test_token_secret_is_optional_and_checked_outside_development():
    assert Settings(environment="prod", service_api_keys=REAL_KEY).token_secret is None
    secret = "s" * 32
    assert Settings(environment="prod", service_api_keys=REAL_KEY, service_token_secret=secret).token_secret == secret
    assert Settings(environment="development", service_token_secret="short").token_secret == "short"


def test_rate_limit_is_off_locally_and_generous_when_deployed():
    assert Settings(environment="development").rate_limit == (0, 0)
    assert Settings(environment="test").rate_limit == (0, 0)
    assert Settings(environment="prod", service_api_keys=REAL_KEY).rate_limit == (300, 60)
    assert Settings(environment="prod", service_api_keys=REAL_KEY, service_rate_limit_per_min=0).rate_limit == (0, 0)
    assert Settings(service_rate_limit_per_min=10, service_rate_limit_burst=3).rate_limit == (10, 3)
    assert Settings(service_rate_limit_per_min=10).rate_limit == (10, 10)


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
    assert Settings(environment="prod", service_api_keys=REAL_KEY).json_logs
    assert not Settings(environment="development").json_logs
    assert Settings(environment="development", log_json=True).json_logs
