"""The service's own settings, from environment variables; the agent's are `agent_lib.factory.AgentSettings`."""

from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Values that are never real secrets: refused outside local development.
PLACEHOLDER_SECRETS = frozenset(
    {"changeme", "change-me", "change_me", "changethis", "secret", "password", "placeholder", "example", "test", "xxx"}
)
MIN_KEY_CHARS = 16  # a shorter bearer key is guessable; refused outside local development
MIN_TOKEN_SECRET_CHARS = 32  # HS256 wants a key of at least 32 bytes (RFC 7518 3.2; PyJWT warns below that)
SECRET_FIELDS = frozenset({"service_api_keys", "service_token_secret"})
HIDDEN = "<hidden>"


def _is_weak(secret: str, min_chars: int) -> bool:
    return secret.lower() in PLACEHOLDER_SECRETS or len(secret) < min_chars


class Settings(BaseSettings):
    """HTTP-facing configuration: who may call and how often, how much they may send, when idle sessions are
    promoted."""

    # hide_input_in_errors: a refused secret must never reach a log through pydantic's message (see __init__ too)
    model_config = SettingsConfigDict(extra="ignore", hide_input_in_errors=True)

    environment: Literal["development", "test", "dev", "staging", "prod", "production"] = "development"
    # SERVICE_API_KEYS=k1,k2: admin keys (every route, every user). Empty: /v1 is open, allowed only locally.
    service_api_keys: Annotated[list[SecretStr], NoDecode] = []
    # Signs and verifies user tokens (HS256 JWTs whose `sub` is the user): unset, there are no user tokens.
    service_token_secret: SecretStr | None = None
    service_token_max_ttl_s: int = Field(30 * 24 * 3600, ge=60)  # the longest lifetime a minted token may have
    # Requests per minute and burst per admin key or user (token bucket); 0: off. Default: off locally, else 300 / 60.
    service_rate_limit_per_min: int | None = Field(None, ge=0)
    service_rate_limit_burst: int | None = Field(None, ge=1)
    service_max_body_bytes: int = Field(64 * 1024, ge=1024)  # larger requests get 413
    service_max_message_chars: int = Field(8000, ge=1)  # longer chat messages (and imported texts) get 422
    service_max_import_items: int = Field(500, ge=1)  # more messages + facts in one import get 422
    service_max_clock_skew_s: float = Field(300.0, ge=0)  # imported times later than now + this get 422
    promote_idle_after_s: float = Field(600.0, gt=0)  # a session idle this long is summarised into long-term memory
    promote_idle_every_s: float = Field(60.0, gt=0)  # how often idle sessions are looked for
    google_cloud_project: str | None = None  # names the trace of each log line in Cloud Logging
    log_json: bool | None = None  # JSON logs for Cloud Logging; default: on outside development

    def __init__(self, **values: Any) -> None:
        """As BaseSettings, but a refused configuration's error holds no input: `errors()` would hand it out."""
        try:
            super().__init__(**values)
        except ValidationError as e:
            raise _without_secrets(e) from None

    @field_validator("service_api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        """Accept a comma-separated string (the form an env var or a Secret Manager mount has)."""
        if isinstance(value, str):
            return [k.strip() for k in value.split(",") if k.strip()]
        return value

    @field_validator("service_token_secret", mode="before")
    @classmethod
    def _blank_secret_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def is_local(self) -> bool:
        """Local development or tests: placeholder secrets are tolerated, and /v1 may be open."""
        return self.environment in ("development", "test")

    @property
    def api_keys(self) -> list[str]:
        return [k.get_secret_value() for k in self.service_api_keys]

    @property
    def token_secret(self) -> str | None:
        return self.service_token_secret.get_secret_value() if self.service_token_secret else None

    @property
    def auth_enabled(self) -> bool:
        """Keys configured: every /v1 call needs an admin key or a user token. Without (locally only): open."""
        return bool(self.service_api_keys)

    @property
    def rate_limit(self) -> tuple[int, int]:
        """(requests per minute, burst) per caller; (0, 0) when off."""
        per_min = self.service_rate_limit_per_min
        if per_min is None:
            per_min = 0 if self.is_local else 300
        if per_min == 0:
            return 0, 0
        return per_min, self.service_rate_limit_burst or max(1, min(per_min, 60))

    @property
    def json_logs(self) -> bool:
        return (not self.is_local) if self.log_json is None else self.log_json

    @model_validator(mode="after")
    def _refuse_weak_secrets(self) -> "Settings":
        """Outside development: keys are required, and no key or token secret may be a placeholder or short."""
        if self.is_local:
            return self
        where = f"set real ones for environment {self.environment!r}"
        if not self.api_keys:
            raise PydanticCustomError(
                "missing_keys", f"SERVICE_API_KEYS is empty: /v1 would be open to anyone; {where}"
            )
        if any(_is_weak(key, MIN_KEY_CHARS) for key in self.api_keys):
            raise PydanticCustomError(
                "weak_secret",
                f"SERVICE_API_KEYS holds a placeholder or a key shorter than {MIN_KEY_CHARS} characters; {where}",
            )
        if (secret := self.token_secret) is not None and _is_weak(secret, MIN_TOKEN_SECRET_CHARS):
            raise PydanticCustomError(
                "weak_secret",
                f"SERVICE_TOKEN_SECRET is a placeholder or shorter than {MIN_TOKEN_SECRET_CHARS} characters; {where}",
            )
        return self


def _without_secrets(e: ValidationError) -> ValidationError:
    """`e` with the input of every error about a secret (or about the whole model, whose input holds them all)
    replaced by a marker; messages stay as pydantic wrote them."""
    errors = []
    for err in e.errors(include_url=False, include_context=False):
        secret = not err["loc"] or err["loc"][0] in SECRET_FIELDS
        kind = PydanticCustomError(err["type"], err["msg"])  # no context: the message is used as it is
        errors.append({"type": kind, "loc": err["loc"], "input": HIDDEN if secret else err["input"]})
    return ValidationError.from_exception_data(e.title, errors, hide_input=True)


settings = Settings()
