"""The FastAPI application: `uvicorn app.main:app --app-dir service`."""

from fastapi import FastAPI

import agent_lib
from app.api.routes import health

app = FastAPI(title="agent-workspace chat service", version=agent_lib.__version__)
app.include_router(health.router)
