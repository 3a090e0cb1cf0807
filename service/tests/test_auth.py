"""Bearer keys on /v1 when SERVICE_API_KEYS is set (the deployed service); probes stay open; no keys, no check."""

import httpx
import openai
import pytest
from openai import AsyncOpenAI


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing bearer token"),
        ({"Authorization": "Bearer wrong-key-0123456789abcdef"}, "invalid API key"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "missing bearer token"),
    ],
)
def test_v1_refuses_requests_without_a_valid_key(deployed_url, headers, reason):
    routes = (("POST", "/v1/chat"), ("GET", "/v1/users/alice/sessions"), ("DELETE", "/v1/users/alice/memories"))
    for method, path in routes:
        body = {"user": "alice", "session": "s1", "message": "hi"} if method == "POST" else None
        response = httpx.request(method, f"{deployed_url}{path}", json=body, headers=headers)
        assert response.status_code == 401, (path, response.text)
        assert response.json()["detail"].startswith(reason) and response.headers["www-authenticate"] == "Bearer"


def test_probes_and_docs_stay_open(deployed_url):
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
        assert httpx.get(f"{deployed_url}{path}").status_code == 200, path


def test_a_valid_key_is_let_through(deployed_url, auth_headers, user):
    body = {"user": user, "session": "s1", "message": "hi"}
    response = httpx.post(f"{deployed_url}/v1/chat", json=body, headers=auth_headers, timeout=60)
    assert response.status_code == 200 and response.json()["reply"]


async def test_openai_client_with_and_without_the_key(deployed_url, auth_headers, user):
    key = auth_headers["Authorization"].removeprefix("Bearer ")
    messages = [{"role": "user", "content": "hi"}]
    async with AsyncOpenAI(base_url=f"{deployed_url}/v1", api_key="not-the-key", max_retries=0) as c:
        with pytest.raises(openai.AuthenticationError, match="invalid API key"):
            await c.chat.completions.create(model="agent", user=user, messages=messages)
    async with AsyncOpenAI(base_url=f"{deployed_url}/v1", api_key=key, max_retries=0) as c:
        completion = await c.chat.completions.create(model="agent", user=user, messages=messages)
        assert completion.choices[0].message.content


def test_without_keys_v1_is_open(live_url, user):
    response = httpx.get(f"{live_url}/v1/users/{user}/sessions")
    assert response.status_code == 200 and response.json() == []
