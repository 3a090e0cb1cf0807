"""GET /metrics: Prometheus text format (open, like the probes)."""

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.api.deps import AgentDep
from app.core.metrics import observe_agent

router = APIRouter(tags=["ops"])


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
async def metrics(agent: AgentDep) -> Response:
    """Request latency by route, tokens, turns, readiness, degraded components, the mid-term breaker and outbox."""
    if (recount := getattr(agent.memory.mid, "recount", None)) is not None:
        await recount()  # the outbox is shared: other instances change it too
    observe_agent(agent)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
