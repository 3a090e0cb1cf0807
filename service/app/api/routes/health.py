"""Liveness: the process is up and serving."""

from fastapi import APIRouter
from pydantic import BaseModel

import agent_lib

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    version: str


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """Answer as long as the process serves requests; readiness is /readyz."""
    return Health(status="ok", version=agent_lib.__version__)
