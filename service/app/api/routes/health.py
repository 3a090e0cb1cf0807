"""Liveness (/healthz: the process serves) and readiness (/readyz: the agent is warmed up, and on what it runs)."""

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

import agent_lib
from app.api.deps import AgentDep
from app.schemas import ReadyResponse

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    version: str


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """Answer as long as the process serves requests; readiness is /readyz."""
    return Health(status="ok", version=agent_lib.__version__)


@router.get(
    "/readyz",
    response_model=ReadyResponse,
    responses={503: {"model": ReadyResponse, "description": "still warming up, or the warm-up failed"}},
)
def readyz(agent: AgentDep, response: Response) -> ReadyResponse:
    """200 once the models are loaded, 503 before (with `warm_up_error` if loading failed); both say what runs where."""
    caps = agent.capabilities
    if not agent.ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return ReadyResponse(
        ready=agent.ready,
        capabilities=caps.components,
        degraded=caps.degraded,
        warm_up_error=agent.warm_up_error,
    )
