"""Logging: JSON lines for Cloud Logging when deployed (severity, trace, request id), plain text on a laptop."""

import contextvars
import logging
import sys

from pythonjsonlogger.json import JsonFormatter

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
trace: contextvars.ContextVar[tuple[str, str | None] | None] = contextvars.ContextVar("trace", default=None)

TRACE_FIELD = "logging.googleapis.com/trace"  # Cloud Logging joins log lines of one request by this
SPAN_FIELD = "logging.googleapis.com/spanId"


MAX_SPAN = 2**64 - 1  # a span id is an unsigned 64-bit integer (20 decimal digits at most)


def parse_cloud_trace(header: str | None) -> tuple[str, str | None] | None:
    """`TRACE_ID/SPAN_ID;o=1` (the X-Cloud-Trace-Context header) as (trace id, span id); whatever the client sent,
    a part that is not well formed is dropped, never an error (int() of 4,300 digits raises)."""
    if not header:
        return None
    trace_id, _, rest = header.partition("/")
    span = rest.split(";", 1)[0]
    if not (trace_id.isascii() and trace_id.isalnum() and len(trace_id) <= 64):
        return None
    if not (span.isascii() and span.isdigit() and len(span) <= 20 and int(span) <= MAX_SPAN):
        return trace_id, None
    return trace_id, f"{int(span):016x}"  # Cloud Logging wants the span id in hex


class RequestContext(logging.Filter):
    """Put the current request's id and trace on every record logged while serving it."""

    def __init__(self, project: str | None):
        super().__init__()
        self.project = project

    def filter(self, record: logging.LogRecord) -> bool:
        record.__dict__.pop("color_message", None)  # uvicorn's ANSI-coloured copy of the message
        if (rid := request_id.get()) is not None:
            record.request_id = rid
        if (current := trace.get()) is not None:
            trace_id, span = current
            setattr(record, TRACE_FIELD, f"projects/{self.project}/traces/{trace_id}" if self.project else trace_id)
            if span:
                setattr(record, SPAN_FIELD, span)
        return True


def configure_logging(json_logs: bool, project: str | None, level: int = logging.INFO) -> None:
    """One handler on the root logger; uvicorn's loggers go through it too (its access log is replaced by ours)."""
    handler = logging.StreamHandler(sys.stdout)
    if json_logs:
        handler.setFormatter(
            JsonFormatter(
                "{levelname}{name}{message}",
                style="{",
                rename_fields={"levelname": "severity", "name": "logger"},
                timestamp="time",
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(levelname)-8s %(name)s: %(message)s"))
    handler.addFilter(RequestContext(project))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers, logger.propagate = [], True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)  # the middleware logs each request, with its route
