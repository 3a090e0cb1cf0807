"""Dependencies of the routes: the agent built by the lifespan, and the bearer-key check of /v1."""

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from agent_lib.agent import Agent
from app.core.config import settings


def get_agent(request: Request) -> Agent:
    """The one agent the lifespan built for this process."""
    return request.app.state.agent


AgentDep = Annotated[Agent, Depends(get_agent)]

bearer = HTTPBearer(auto_error=False, description="One of SERVICE_API_KEYS (required only when it is set).")


def require_api_key(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
    """Let the request through when no keys are configured or it carries one of them; 401 with the reason otherwise."""
    keys = settings.api_keys
    if not keys:
        return
    if credentials is None:
        reason = "missing bearer token: send 'Authorization: Bearer <key>'"
    elif any(hmac.compare_digest(credentials.credentials.encode(), k.encode()) for k in keys):
        return
    else:
        reason = "invalid API key"
    raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail=reason, headers={"WWW-Authenticate": "Bearer"})
