"""Error bodies: FastAPI's `{"detail": ...}` everywhere, OpenAI's `{"error": {...}}` on the OpenAI-compatible route."""

from fastapi import FastAPI, Request, status
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from agent_lib.llm.base import LLMError, LLMUnavailable
from agent_lib.memory.base import MemoryUnavailable

OPENAI_PATHS = frozenset({"/v1/chat/completions"})
OPENAI_TYPES = {401: "authentication_error", 404: "not_found_error", 503: "service_unavailable", 502: "api_error"}


def openai_error(status_code: int, message: str, param: str | None = None, headers=None) -> JSONResponse:
    """The error shape OpenAI's clients read their message from."""
    kind = OPENAI_TYPES.get(status_code, "invalid_request_error" if status_code < 500 else "api_error")
    body = {"error": {"message": message, "type": kind, "param": param, "code": None}}
    return JSONResponse(body, status_code, headers=headers)


def is_openai(request: Request) -> bool:
    return request.url.path in OPENAI_PATHS


async def on_http_error(request: Request, exc: HTTPException):
    if is_openai(request):
        return openai_error(exc.status_code, str(exc.detail), headers=exc.headers)
    return await http_exception_handler(request, exc)


async def on_invalid_request(request: Request, exc: RequestValidationError):
    if not is_openai(request):
        return await request_validation_exception_handler(request, exc)
    errors = exc.errors()
    where = lambda e: ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0])  # noqa: E731
    message = "; ".join(f"{where(e)}: {e['msg']}" for e in errors)
    return openai_error(status.HTTP_422_UNPROCESSABLE_CONTENT, message, param=where(errors[0]) if errors else None)


async def on_unavailable(request: Request, exc: Exception):
    """A backend that cannot answer now (the model still loading, memory down): 503, worth retrying."""
    message, headers = f"{type(exc).__name__}: {exc}", {"Retry-After": "5"}
    if is_openai(request):
        return openai_error(status.HTTP_503_SERVICE_UNAVAILABLE, message, headers=headers)
    return JSONResponse({"detail": message}, status.HTTP_503_SERVICE_UNAVAILABLE, headers=headers)


async def on_model_refused(request: Request, exc: Exception):
    """The model provider refused the request: 502, retrying will not help."""
    message = f"{type(exc).__name__}: {exc}"
    if is_openai(request):
        return openai_error(status.HTTP_502_BAD_GATEWAY, message)
    return JSONResponse({"detail": message}, status.HTTP_502_BAD_GATEWAY)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_invalid_request)
    app.add_exception_handler(MemoryUnavailable, on_unavailable)
    app.add_exception_handler(LLMUnavailable, on_unavailable)
    app.add_exception_handler(LLMError, on_model_refused)
