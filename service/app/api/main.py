"""The /v1 API: every router behind the caller check (admin key or user token) and the per-caller rate limit."""

from fastapi import APIRouter, Depends

from app.api.deps import AUTH_RESPONSES, authenticate
from app.api.routes import admin, chat, memory, openai_compat, tokens

api_router = APIRouter(dependencies=[Depends(authenticate)], responses=AUTH_RESPONSES)
api_router.include_router(chat.router)
api_router.include_router(openai_compat.router)
api_router.include_router(memory.router)
api_router.include_router(tokens.router)
api_router.include_router(admin.router)
