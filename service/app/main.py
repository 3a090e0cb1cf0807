"""The FastAPI application: `uvicorn app.main:app --app-dir service`."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

import agent_lib
from agent_lib.agent import Agent
from agent_lib.factory import AgentFactory, AgentSettings
from app.api.errors import install_error_handlers
from app.api.main import api_router
from app.api.routes import health, metrics
from app.core.config import settings
from app.core.logs import configure_logging
from app.core.metrics import instrument_memory
from app.middleware import ObservabilityMiddleware

configure_logging(settings.json_logs, settings.google_cloud_project)
log = logging.getLogger("app")


async def promote_idle_forever(agent: Agent, every_s: float, idle_after_s: float) -> None:
    """Fold idle sessions into summaries and facts, every `every_s` seconds, for the life of the process."""
    while True:
        await asyncio.sleep(every_s)
        try:
            if promoted := await agent.memory.promote_idle(idle_after_s):
                log.info("promoted %d idle sessions", promoted)
        except Exception:  # one failed round must not end the loop
            log.exception("idle promotion failed")


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Build the agent once (probes have deadlines), warm it up in the background, close it (flushing memory)."""
    agent = await AgentFactory(AgentSettings()).build()
    instrument_memory(agent)
    log.info("agent built:\n%s", agent.capabilities.summary())
    app.state.agent = agent
    tasks = [
        asyncio.create_task(agent.warm_up(), name="warm-up"),
        asyncio.create_task(
            promote_idle_forever(agent, settings.promote_idle_every_s, settings.promote_idle_after_s),
            name="promote-idle",
        ),
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await agent.aclose()


app = FastAPI(
    title="agent-workspace chat service",
    version=agent_lib.__version__,
    lifespan=lifespan,
    max_body_size=settings.service_max_body_bytes,
)
install_error_handlers(app)
app.add_middleware(ObservabilityMiddleware)
app.include_router(health.router)
app.include_router(metrics.router)
app.include_router(api_router)
