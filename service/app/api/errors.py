"""Error bodies: FastAPI's `{"detail": ...}` everywhere, OpenAI's `{"error": {...}}` on the OpenAI-compatible route.

A backend's failure is told to the client as a reason of ours and the request id; the exception's own text (a
provider's message, a host, a path) goes to the log line of that request id only.
"""

import logging

from fastapi import FastAPI, Request, status
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from agent_lib.llm.base import LLMError, LLMUnavailable
from agent_lib.memory.base import MemoryUnavailable
from app.core import logs

log = logging.getLogger(__name__)

OPENAI_PATHS = frozenset({"/v1/chat/completions"})
OPENAI_TYPES = {
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    502: "api_error",
    503: "service_unavailable",
}
# What a client is told of a failure, by kind (most specific first: LLMUnavailable is an LLMError).
PUBLIC_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (MemoryUnavailable, "memory cannot be reached now; retry later"),
    (LLMUnavailable, "the model cannot answer now; retry later"),
    (LLMError, "the model provider refused the request; retrying it will not help"),
)


def public_reason(e: BaseException) -> str:
    """`e` as a client may see it: its kind, our reason, the request id to find the details in the logs."""
    text = next((reason for kind, reason in PUBLIC_REASONS if isinstance(e, kind)), "the request failed")
    return f"{type(e).__name__}: {text} (request id {logs.request_id.get() or 'unknown'})"


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


def backend_error(request: Request, exc: Exception, status_code: int, headers: dict | None = None) -> JSONResponse:
    """Our reason and the request id to the client, the exception's own text to the log."""
    log.warning("answered %d for %s: %s: %s", status_code, request.url.path, type(exc).__name__, exc)
    message = public_reason(exc)
    if is_openai(request):
        return openai_error(status_code, message, headers=headers)
    body = {"detail": message, "request_id": logs.request_id.get()}
    return JSONResponse(body, status_code, headers=headers)


async def on_unavailable(request: Request, exc: Exception):
    """A backend that cannot answer now (the model still loading, memory down): 503, worth retrying."""
    return backend_error(request, exc, status.HTTP_503_SERVICE_UNAVAILABLE, {"Retry-After": "5"})


async def on_model_refused(request: Request, exc: Exception):
    """The model provider refused the request: 502, retrying will not help."""
    return backend_error(request, exc, status.HTTP_502_BAD_GATEWAY)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_invalid_request)
    app.add_exception_handler(MemoryUnavailable, on_unavailable)
    app.add_exception_handler(LLMUnavailable, on_unavailable)
    app.add_exception_handler(LLMError, on_model_refused)
