"""Property-based run over the service's own OpenAPI schema: no generated request gets a 5xx.

Schemathesis generates valid and invalid requests (examples, coverage and fuzzing phases, positive and negative
modes) for every operation of /openapi.json and sends them to the real services of conftest.py (uvicorn on the
embedded defaults, the local model, AGENT_MAX_TOKENS=16): `live_url` (/v1 open) and `deployed_url` (bearer keys).
Nothing is excluded: the DELETE operations erase users whose ids are generated (they cannot collide with the uuid
users of other tests). Bounded and repeatable: few examples per operation, derandomized, no deadline (the model
answers on two shared CPU cores).
"""

import httpx
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from app.core.config import settings as settings_
from app.main import app

MAX_REPLY_TOKENS = 8  # the OpenAI route honours the request's max_tokens (up to 4096): see `bounded`
MAX_PROMPT_CHARS = 300  # a valid 8000-character message of digits is ~8k prompt tokens: 70 s on 2 shared CPU cores


# The schema is built in-process at collection (one test per operation); the requests go to the live service, which
# serves the same schema (checked below). schemathesis' lazy `from_fixture` loader does not run on pytest 9.
schema = schemathesis.openapi.from_dict(app.openapi())


def test_live_service_serves_this_schema(live_url):
    assert httpx.get(f"{live_url}/openapi.json").json() == app.openapi()


def _short(text: object) -> object:
    limit = settings_.service_max_message_chars
    return text[:MAX_PROMPT_CHARS] if isinstance(text, str) and MAX_PROMPT_CHARS < len(text) <= limit else text


def bounded(case) -> None:
    """Cap *valid* reply lengths and message sizes so generated chats stay fast on CPU; values outside the schema's
    ranges (the ones the service must refuse with 4xx) are sent exactly as generated."""
    if not isinstance(case.body, dict):
        return
    for key in ("max_tokens", "max_completion_tokens"):
        value = case.body.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and MAX_REPLY_TOKENS < value <= 4096:
            case.body[key] = MAX_REPLY_TOKENS
    if "message" in case.body:
        case.body["message"] = _short(case.body["message"])
    if isinstance(case.body.get("messages"), list):
        for m in case.body["messages"]:
            if isinstance(m, dict) and "content" in m:
                m["content"] = _short(m["content"])


BOUNDED = settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


def call_and_check(case, base_url: str) -> None:
    bounded(case)
    response = case.call(base_url=base_url, timeout=60)
    case.validate_response(response, checks=[not_a_server_error])


@schema.parametrize()
@BOUNDED
def test_no_server_errors(case, live_url):
    """`make run`'s service: /v1 open, so generated requests reach the routes, the agent and the model."""
    call_and_check(case, live_url)


@schema.parametrize()
@BOUNDED
def test_no_server_errors_with_auth(case, deployed_url):
    """The deployed configuration (SERVICE_API_KEYS set, ENVIRONMENT=prod): generated or missing bearer tokens must
    get 401 or 422, never a 5xx, on every operation (the probes and /metrics stay open)."""
    call_and_check(case, deployed_url)
