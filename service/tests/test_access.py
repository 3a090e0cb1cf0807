"""Per-user access on the deployed service (real HTTP): admin keys reach everything; a user token reaches its own
user's routes and nothing else, on every route of the app (new routes are covered by construction)."""

import os
import subprocess
import sys
import time
import uuid

import httpx
import jwt
import pytest
from fastapi.routing import iter_route_contexts

from app.main import app
from app.tokens import ISSUER, verify

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PUBLIC = {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
CHAT = {"/v1/chat", "/v1/chat/completions"}  # the user is in the body: a user token's own, or named by an admin
ROUTES = sorted(
    (method, route.path)
    for route in iter_route_contexts(app.routes)
    for method in route.methods or ()
    if method != "HEAD"
)
SCHEMA = app.openapi()


def example_body(method: str, path: str, user: str) -> dict | None:
    """The first example of the operation's JSON body (the schemas carry one), with `user` set when it has one."""
    body = SCHEMA["paths"][path][method.lower()].get("requestBody")
    if body is None:
        return None
    ref = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    example = dict(SCHEMA["components"]["schemas"][ref]["examples"][0])
    if "user" in example:
        example["user"] = user
    return example


def call(base_url: str, method: str, path: str, user: str, headers: dict) -> httpx.Response:
    url = base_url + path.replace("{user}", user).replace("{session}", "s1")
    return httpx.request(method, url, json=example_body(method, path, user), headers=headers, timeout=60)


def reason(response: httpx.Response) -> str:
    body = response.json()
    return body["error"]["message"] if "error" in body else body["detail"]


def test_every_route_outside_v1_is_known_to_be_public():
    """Every /v1 route is checked below; one added elsewhere must be put in PUBLIC on purpose (or under /v1)."""
    assert {path for _, path in ROUTES if not path.startswith("/v1/")} == PUBLIC


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r[1] not in PUBLIC])
def test_a_user_token_is_refused_on_other_users_and_admin_routes(deployed_url, token_for, method, path):
    """alice's token: 403 with a reason on every route of bob and on every admin-only route."""
    alice, bob = f"alice-{uuid.uuid4().hex[:8]}", f"bob-{uuid.uuid4().hex[:8]}"
    response = call(deployed_url, method, path, bob, token_for(alice))
    assert response.status_code == 403, (method, path, response.text)
    assert alice in reason(response) or "admin key" in reason(response)


@pytest.fixture
def alice(deployed_url, auth_headers):
    """A user of one test, erased after it: the deployed service promotes idle sessions with the model, one after
    another, and sessions left behind would delay test_memory_routes' promotion."""
    name = f"alice-{uuid.uuid4().hex[:8]}"
    yield name
    assert httpx.delete(f"{deployed_url}/v1/users/{name}/memories", headers=auth_headers).status_code == 204


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r[1] not in PUBLIC])
def test_a_user_token_reaches_its_own_routes_only(deployed_url, token_for, auth_headers, alice, method, path):
    """The other half: alice's own routes answer her token (admin-only ones still 403); an admin key reaches them
    (an admin's chat is test_auth.py's)."""
    own = call(deployed_url, method, path, alice, token_for(alice))
    if "{user}" in path or path in CHAT:
        assert own.status_code < 400 or own.status_code == 404, (method, path, own.text)  # 404: no session s1 yet
    else:
        assert own.status_code == 403 and "admin key" in reason(own), (method, path, own.text)
    if path not in CHAT:
        admin = call(deployed_url, method, path, alice, auth_headers)
        assert admin.status_code < 400 or admin.status_code == 404, (method, path, admin.text)


@pytest.mark.parametrize("path", sorted(PUBLIC - {"/docs/oauth2-redirect"}))  # that one wants OAuth2's query
def test_public_routes_answer_a_user_token(deployed_url, token_for, path):
    assert httpx.get(deployed_url + path, headers=token_for("alice")).status_code == 200


def test_a_malformed_user_in_the_path_is_refused_to_a_token(deployed_url, token_for):
    response = httpx.get(f"{deployed_url}/v1/users/-x/sessions", headers=token_for("alice"))
    assert response.status_code == 403


def bad_token(secret: str, **claims) -> str:
    now = int(time.time())
    base = {"sub": "alice", "iat": now, "exp": now + 600, "iss": ISSUER}
    return jwt.encode({k: v for k, v in (base | claims).items() if v is not None}, secret, algorithm="HS256")


@pytest.mark.parametrize(
    ("token", "why"),
    [
        (lambda s: bad_token(s, exp=int(time.time()) - 60), "expired"),
        (lambda s: bad_token("another-secret-" + "0" * 32), "Signature verification failed"),
        (lambda s: bad_token(s, exp=None), 'missing the "exp" claim'),
        (lambda s: bad_token(s, sub="bad user/id"), "subject is not a valid user id"),
        (lambda s: bad_token(s, iss="someone-else"), "issuer"),
        (
            lambda s: jwt.encode({"sub": "alice", "exp": int(time.time()) + 60}, None, algorithm="none"),
            "alg value is not allowed",
        ),
        (lambda s: "not.a.jwt", "invalid user token"),
        (lambda s: "plain-wrong-key-0123456789", "invalid API key or user token"),
    ],
)
def test_invalid_tokens_are_401_with_the_reason(deployed_url, token_secret, token, why):
    headers = {"Authorization": f"Bearer {token(token_secret)}"}
    response = httpx.get(f"{deployed_url}/v1/users/alice/sessions", headers=headers)
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert why in response.json()["detail"], response.json()


def test_an_admin_mints_a_token_over_http(deployed_url, auth_headers, user):
    response = httpx.post(f"{deployed_url}/v1/tokens", json={"user": user, "ttl_s": 120}, headers=auth_headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["user"] == user and body["token_type"] == "bearer" and body["expires_at"]
    mine = {"Authorization": f"Bearer {body['token']}"}
    assert httpx.get(f"{deployed_url}/v1/users/{user}/sessions", headers=mine).status_code == 200
    assert httpx.get(f"{deployed_url}/v1/users/{user}-x/sessions", headers=mine).status_code == 403
    too_long = httpx.post(f"{deployed_url}/v1/tokens", json={"user": user, "ttl_s": 10**9}, headers=auth_headers)
    assert too_long.status_code == 422


def test_without_a_token_secret_there_are_no_user_tokens(live_url):
    response = httpx.post(f"{live_url}/v1/tokens", json={"user": "alice"})
    assert response.status_code == 404 and "SERVICE_TOKEN_SECRET" in response.json()["detail"]


def test_the_cli_mints_what_the_service_accepts(deployed_url, token_secret):
    env = {**os.environ, "SERVICE_TOKEN_SECRET": token_secret, "ENVIRONMENT": "test"}
    run = [sys.executable, "-m", "app.tokens", "mint", "--user", "carol", "--ttl", "60"]
    done = subprocess.run(run, cwd=SERVICE_DIR, env=env, capture_output=True, text=True, timeout=60, check=True)
    token = done.stdout.strip()
    assert verify(token, token_secret) == "carol"
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{deployed_url}/v1/users/carol/sessions", headers=headers).status_code == 200
    env.pop("SERVICE_TOKEN_SECRET")
    off = subprocess.run(run, cwd=SERVICE_DIR, env=env, capture_output=True, text=True, timeout=60)
    assert off.returncode == 2 and "SERVICE_TOKEN_SECRET is not set" in off.stderr and not off.stdout


async def test_chat_takes_the_user_from_the_token(deployed_url, token_for, auth_headers, alice):
    user = alice
    async with httpx.AsyncClient(base_url=deployed_url, timeout=60) as c:
        mine = await c.post("/v1/chat", json={"session": "s1", "message": "hi"}, headers=token_for(user))
        assert mine.status_code == 200 and mine.json()["user"] == user
        turns = (await c.get(f"/v1/users/{user}/sessions/s1", headers=auth_headers)).json()["messages"]
        assert [m["content"] for m in turns] == ["hi", mine.json()["reply"]]
        body = {"user": "bob", "session": "s1", "message": "hi"}
        other = await c.post("/v1/chat", json=body, headers=token_for(user))
        assert other.status_code == 403 and user in other.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/chat", {"session": "s1", "message": "hi"}),
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": "hi"}]}),
    ],
)
async def test_an_admin_must_name_the_user(live_url, path, body):
    """No shared `anonymous` memory: a caller acting for any user (an admin key, or the open local service) must
    name one."""
    async with httpx.AsyncClient(base_url=live_url, timeout=60) as c:
        response = await c.post(path, json=body)
    assert response.status_code == 422, response.text
    if path == "/v1/chat":
        assert [e["loc"] for e in response.json()["detail"]] == [["body", "user"]]
    else:
        error = response.json()["error"]
        assert error["param"] == "user" and "name the memory's owner" in error["message"]


async def test_openai_route_takes_the_user_from_the_token(deployed_url, token_for, auth_headers, alice):
    user = alice
    body = {"messages": [{"role": "user", "content": "Hello there."}], "max_tokens": 4}
    async with httpx.AsyncClient(base_url=deployed_url, timeout=60) as c:
        response = await c.post("/v1/chat/completions", json=body, headers=token_for(user))
        assert response.status_code == 200, response.text
        session = response.headers["x-session-id"]
        sessions = (await c.get(f"/v1/users/{user}/sessions", headers=auth_headers)).json()
        assert [s["session"] for s in sessions] == [session]
        refused = await c.post("/v1/chat/completions", json={**body, "user": "bob"}, headers=token_for(user))
        assert refused.status_code == 403 and refused.json()["error"]["type"] == "permission_error"


def test_openapi_describes_the_auth():
    """Clients (and the dashboard's typed client) read the auth from the schema: bearer, and 401/403/429 on /v1."""
    scheme = SCHEMA["components"]["securitySchemes"]["HTTPBearer"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer" and "user token" in scheme["description"]
    for path, operations in SCHEMA["paths"].items():
        for method, operation in operations.items():
            if path.startswith("/v1/"):
                assert operation["security"] == [{"HTTPBearer": []}], (method, path)
                assert {"401", "403", "429"} <= set(operation["responses"]), (method, path)
            else:
                assert not {"401", "403", "429"} & set(operation["responses"]), (method, path)
    assert SCHEMA["paths"]["/readyz"]["get"]["security"] == [{"HTTPBearer": []}]  # optional: more for admins
