"""Per-request observability: request id and trace in the log context, latency by route, one log line per request."""

import logging
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import logs
from app.core.metrics import REQUEST_SECONDS

log = logging.getLogger("app.request")
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})  # probes and scrapes: logged at DEBUG


def trace_of(header: str | None) -> tuple[str, str | None] | None:
    """The trace a request belongs to; a header that cannot be read is logged and ignored, never a failed request."""
    try:
        return logs.parse_cloud_trace(header)
    except Exception:
        log.warning("ignored an unreadable X-Cloud-Trace-Context header (%d characters)", len(header or ""))
        return None


class ObservabilityMiddleware:
    """A pure ASGI middleware, so streamed responses are timed to their last byte and never buffered."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        rid = headers.get("x-request-id") or uuid.uuid4().hex
        rid_token = logs.request_id.set(rid[:64])
        trace_token = logs.trace.set(trace_of(headers.get("x-cloud-trace-context")))
        status, start = 500, time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-Id"] = rid[:64]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - start
            route = getattr(scope.get("route"), "path", None) or "unmatched"  # templates only: bounded cardinality
            REQUEST_SECONDS.labels(scope["method"], route, str(status)).observe(elapsed)
            log.log(
                logging.DEBUG if route in QUIET_ROUTES else logging.INFO,
                "%s %s %d %.1f ms",
                scope["method"],
                scope["path"],
                status,
                elapsed * 1e3,
                extra={
                    "httpRequest": {
                        "requestMethod": scope["method"],
                        "requestUrl": scope["path"],
                        "status": status,
                        "latency": f"{elapsed:.6f}s",
                        "userAgent": headers.get("user-agent", ""),
                    },
                    "route": route,
                },
            )
            logs.request_id.reset(rid_token)
            logs.trace.reset(trace_token)
