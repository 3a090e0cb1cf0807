"""The service's own settings, from environment variables; the agent's are `agent_lib.factory.AgentSettings`."""

from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Values that are never real secrets: refused outside local development.
PLACEHOLDER_SECRETS = frozenset(
    {"changeme", "change-me", "change_me", "changethis", "secret", "password", "placeholder", "example", "test", "xxx"}
)
MIN_KEY_CHARS = 16  # a shorter bearer key is guessable; refused outside local development


class Settings(BaseSettings):
    """HTTP-facing configuration: who may call, how much they may send, how often idle sessions are promoted."""

    model_config = SettingsConfigDict(extra="ignore")

    environment: Literal["development", "test", "dev", "staging", "prod", "production"] = "development"
    service_api_keys: Annotated[list[SecretStr], NoDecode] = []  # SERVICE_API_KEYS=k1,k2; empty: /v1 is open
    service_max_body_bytes: int = Field(64 * 1024, ge=1024)  # larger requests get 413
    service_max_message_chars: int = Field(8000, ge=1)  # longer chat messages (and imported texts) get 422
    service_max_import_items: int = Field(500, ge=1)  # more messages + facts in one import get 422
    service_max_clock_skew_s: float = Field(300.0, ge=0)  # imported times later than now + this get 422
    promote_idle_after_s: float = Field(600.0, gt=0)  # a session idle this long is summarised into long-term memory
    promote_idle_every_s: float = Field(60.0, gt=0)  # how often idle sessions are looked for
    google_cloud_project: str | None = None  # names the trace of each log line in Cloud Logging
    log_json: bool | None = None  # JSON logs for Cloud Logging; default: on outside development

    @field_validator("service_api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        """Accept a comma-separated string (the form an env var or a Secret Manager mount has)."""
        if isinstance(value, str):
            return [k.strip() for k in value.split(",") if k.strip()]
        return value

    @property
    def is_local(self) -> bool:
        """Local development or tests: placeholder secrets are tolerated."""
        return self.environment in ("development", "test")

    @property
    def api_keys(self) -> list[str]:
        return [k.get_secret_value() for k in self.service_api_keys]

    @property
    def json_logs(self) -> bool:
        return (not self.is_local) if self.log_json is None else self.log_json

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> "Settings":
        """Outside development, refuse keys that are placeholders or too short to be secret."""
        if self.is_local:
            return self
        for key in self.api_keys:
            if key.lower() in PLACEHOLDER_SECRETS or len(key) < MIN_KEY_CHARS:
                raise ValueError(
                    f"SERVICE_API_KEYS holds a placeholder or a key shorter than {MIN_KEY_CHARS} characters; "
                    f"set real keys for environment {self.environment!r}"
                )
        return self


settings = Settings()
