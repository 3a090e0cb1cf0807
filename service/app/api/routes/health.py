"""Liveness (/healthz: the process serves) and readiness (/readyz: the agent is warmed up, and on what it runs)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel

import agent_lib
from agent_lib.core import Component
from app.api.deps import AgentDep, Caller, optional_caller
from app.schemas import ReadyResponse

router = APIRouter(tags=["health"])

WARM_UP_FAILED = "the warm-up failed: an admin key shows why"


class Health(BaseModel):
    status: str
    version: str


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """Answer as long as the process serves requests; readiness is /readyz."""
    return Health(status="ok", version=agent_lib.__version__)


def redacted(component: Component) -> Component:
    """What anyone may see of a component: backends, devices and flags; no free text (hosts, paths, errors)."""
    probes = [p.model_copy(update={"detail": ""}) for p in component.probes]
    return component.model_copy(update={"detail": "", "probes": probes})


@router.get(
    "/readyz",
    response_model=ReadyResponse,
    responses={503: {"model": ReadyResponse, "description": "still warming up, or the warm-up failed"}},
)
def readyz(agent: AgentDep, response: Response, caller: Annotated[Caller | None, Depends(optional_caller)]):
    """200 once the models are loaded, 503 before; both say which backend each component runs on. Open to all:
    the free-text details (endpoints, paths, probe and warm-up errors) only with an admin key (or while /v1 is
    open); anyone else gets them blank and `warm_up_error` as a fixed sentence."""
    caps = agent.capabilities
    if not agent.ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    full = caller is not None and caller.admin
    error = agent.warm_up_error
    return ReadyResponse(
        ready=agent.ready,
        capabilities=caps.components if full else {name: redacted(c) for name, c in caps.components.items()},
        degraded=caps.degraded,
        warm_up_error=error if full or error is None else WARM_UP_FAILED,
    )
