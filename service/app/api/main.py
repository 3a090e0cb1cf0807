"""The /v1 API: every router behind the bearer-key check."""

from fastapi import APIRouter, Depends

from app.api.deps import require_api_key
from app.api.routes import chat, memory, openai_compat

api_router = APIRouter(dependencies=[Depends(require_api_key)])
api_router.include_router(chat.router)
api_router.include_router(openai_compat.router)
api_router.include_router(memory.router)
