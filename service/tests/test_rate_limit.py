"""A rate limit per admin key and per user: 429 with Retry-After, each caller on its own bucket; on by default when
deployed, off in local development (so `make run` and most tests never meet it)."""

import time

import httpx

from app.api.deps import get_limiter
from app.core.ratelimit import RateLimiter, retry_after
from app.main import app


def test_a_bucket_refills_and_idle_ones_are_forgotten():
    limiter = RateLimiter(per_min=6000, burst=2, max_callers=3)  # 100 a second
    assert [limiter.check("a") is None for _ in range(3)] == [True, True, False]
    wait = limiter.check("a")
    assert 0 < wait <= 0.02
    time.sleep(0.03)
    assert limiter.check("a") is None  # refilled
    for caller in "bcdef":
        limiter.check(caller)
    assert len(limiter) == 3  # bounded: the oldest were forgotten
    time.sleep(0.05)
    limiter.check("z")
    assert len(limiter) == 1  # full buckets hold nothing worth keeping
    assert retry_after(0.01) == "1" and retry_after(2.2) == "3"


def test_each_key_and_each_user_has_its_own_bucket(app_client, auth_headers, token_for):
    """In process, with a small limiter of its own: POST /v1/tokens needs no agent, so every answer is the limiter's
    or the route's own."""
    limiter = RateLimiter(per_min=60, burst=2)
    app.dependency_overrides[get_limiter] = lambda: limiter

    def mint(headers):
        return app_client.post("/v1/tokens", json={"user": "alice"}, headers=headers)

    assert [mint(auth_headers).status_code for _ in range(2)] == [201, 201]
    refused = mint(auth_headers)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert refused.json()["detail"].startswith("too many requests for this key")
    # a user token is counted on its user's bucket, whatever the route answers; another user is not affected
    alice, bob = token_for("alice"), token_for("bob")
    assert [mint(alice).status_code for _ in range(3)] == [403, 403, 429]
    assert mint(bob).status_code == 403
    # no credentials: 401 before any bucket is touched
    assert app_client.post("/v1/tokens", json={"user": "alice"}).status_code == 401
    # OpenAI's clients read the error in their own shape (and retry after Retry-After)
    openai = app_client.post("/v1/chat/completions", json={}, headers=alice)
    assert openai.status_code == 429 and openai.headers["retry-after"]
    assert openai.json()["error"]["type"] == "rate_limit_error"


def test_the_deployed_default_limits_a_caller(deployed_url, token_for):
    """Over real HTTP, on the deployed configuration's default (300 a minute, bursts of 60): a client that does not
    stop gets 429 with Retry-After, after its burst."""
    headers = token_for(f"greedy-{time.time_ns()}")
    with httpx.Client(base_url=deployed_url, headers=headers, timeout=30) as c:
        codes = []
        while 429 not in codes and len(codes) < 400:
            codes.append((response := c.get("/v1/users/someone-else/sessions")).status_code)
    assert codes.index(429) >= 60 and set(codes) == {403, 429}, codes
    assert int(response.headers["retry-after"]) >= 1
