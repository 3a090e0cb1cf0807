"""Dependencies of the routes: the agent built by the lifespan, and who is calling (admin key or user token).

Admin keys (SERVICE_API_KEYS) act for every user and reach every route. A user token (app/tokens.py) acts for its
`sub` alone: routes of another user, and routes that are not about one user, answer 403 with the reason. Without
keys (local development only, app/core/config.py) /v1 is open and every caller is an admin. Each caller has its
own rate limit (429 with Retry-After).
"""

import functools
import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from agent_lib.agent import Agent
from app.core.config import settings
from app.core.ratelimit import RateLimiter, retry_after
from app.tokens import TokenError, looks_like_jwt, verify


def get_agent(request: Request) -> Agent:
    """The one agent the lifespan built for this process."""
    return request.app.state.agent


AgentDep = Annotated[Agent, Depends(get_agent)]

bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="API key or JWT",
    description=(
        "An admin key (one of SERVICE_API_KEYS: every route, every user) or a user token (a JWT from "
        "`POST /v1/tokens` or `python -m app.tokens mint`: the routes of its own user only). Required when the "
        "service has keys; without keys (local development) /v1 is open."
    ),
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]

# Documented on every /v1 operation (api/main.py); /readyz takes the same header optionally.
AUTH_RESPONSES: dict[int | str, dict] = {
    401: {"description": "no credentials, or an unknown key or an invalid user token (the reason is in `detail`)"},
    403: {"description": "a user token outside its own user's routes (the reason is in `detail`)"},
    429: {"description": "too many requests from this key or user: retry after `Retry-After` seconds"},
}


@dataclass(frozen=True)
class Caller:
    """Who sent a request: an admin (an admin key, or anyone while /v1 is open) or one user (a user token)."""

    admin: bool
    user: str | None = None  # the user a user token acts for; None for an admin
    limit_key: str = ""  # whose bucket the request is taken from (never the raw key)

    def may_act_as(self, user: str) -> bool:
        return self.admin or self.user == user

    def forbid_unless(self, user: str) -> None:
        """403 unless this caller may act for `user`."""
        if not self.may_act_as(user):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, detail=f"this token acts for user {self.user!r} only, not for {user!r}"
            )

    def user_for(self, named: str | None) -> str:
        """Whose memory a chat turn goes to: the body's `user` (403 if a user token names another), else the
        token's user; an admin must name one (422: there is no shared default user)."""
        if named is not None:
            self.forbid_unless(named)
            return named
        if self.user is not None:
            return self.user
        missing = "Field required: an admin key acts for any user, so the body must name the memory's owner"
        raise RequestValidationError([{"type": "missing", "loc": ("body", "user"), "msg": missing, "input": None}])


def unauthorized(reason: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=reason, headers={"WWW-Authenticate": "Bearer"})


def _key_id(key: str) -> str:
    """A name for an admin key in logs and buckets that does not reveal it."""
    return "key:" + hashlib.sha256(key.encode()).hexdigest()[:12]


def identify(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Caller:
    """The caller of a request, or 401 with the reason; no rate limit (`/readyz` uses this alone)."""
    keys = settings.api_keys
    if not keys:
        host = request.client.host if request.client else "unknown"
        return Caller(admin=True, limit_key=f"open:{host}")
    if credentials is None:
        raise unauthorized("missing bearer token: send 'Authorization: Bearer <admin key or user token>'")
    sent = credentials.credentials
    for key in keys:  # every key is compared, in constant time
        if hmac.compare_digest(sent.encode(), key.encode()):
            return Caller(admin=True, limit_key=_key_id(key))
    secret = settings.token_secret
    if secret is None or not looks_like_jwt(sent):
        raise unauthorized("invalid API key" + ("" if secret is None else " or user token"))
    try:
        user = verify(sent, secret)
    except TokenError as e:
        raise unauthorized(f"invalid user token: {str(e)[:200]}") from e
    return Caller(admin=False, user=user, limit_key=f"user:{user}")


@functools.cache
def get_limiter() -> RateLimiter | None:
    """The process' rate limiter (None when off); tests override this dependency with one of their own."""
    per_min, burst = settings.rate_limit
    return RateLimiter(per_min, burst) if per_min else None


async def authenticate(
    request: Request, credentials: Credentials, limiter: Annotated[RateLimiter | None, Depends(get_limiter)]
) -> Caller:
    """Who is calling (401 when no one valid), then one request from their bucket (429 when it is empty).
    Async on purpose: it runs on the event loop, where the buckets need no lock."""
    caller = identify(request, credentials)
    if limiter is not None and (wait := limiter.check(caller.limit_key)) is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"too many requests for this {'key' if caller.admin else 'user'}: retry in {wait:.1f} s",
            headers={"Retry-After": retry_after(wait)},
        )
    return caller


CallerDep = Annotated[Caller, Depends(authenticate)]


def require_admin(caller: CallerDep) -> Caller:
    """Routes that list or act across users: admin keys only."""
    if not caller.admin:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail=f"an admin key is required here; this token acts for {caller.user!r} only"
        )
    return caller


AdminDep = Annotated[Caller, Depends(require_admin)]


def require_path_user(request: Request, caller: CallerDep) -> Caller:
    """Routes under /v1/users/{user}: that user's token or an admin. Runs before the path is validated, so a
    malformed id is refused to a user token with 403 as well (it cannot be theirs)."""
    caller.forbid_unless(request.path_params.get("user", ""))
    return caller


def optional_caller(request: Request, credentials: Credentials) -> Caller | None:
    """The caller if the request proves one, else None (no 401: for open routes that show more to admins)."""
    try:
        return identify(request, credentials)
    except HTTPException:
        return None
