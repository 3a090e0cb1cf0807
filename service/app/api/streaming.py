"""Turn an agent's event stream into Server-Sent Events, failing over HTTP before the first byte and in-band after."""

import json
import logging
from collections.abc import AsyncIterator, Callable

from fastapi import HTTPException, status
from fastapi.sse import format_sse_event
from pydantic import BaseModel

from agent_lib.agent import Reply
from agent_lib.llm.base import Delta
from app.api.errors import public_reason

log = logging.getLogger(__name__)

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # no proxy buffering of the stream


def sse(data: BaseModel | dict | str, event: str | None = None) -> bytes:
    """One event in the SSE wire format; `data` is JSON unless it is a string already."""
    if isinstance(data, BaseModel):
        payload = data.model_dump_json()
    elif isinstance(data, str):
        payload = data
    else:
        payload = json.dumps(data)
    return format_sse_event(event=event, data_str=payload)


def reason(e: BaseException) -> str:
    """What the client reads of a failure after the stream started: no provider text (that is in the log)."""
    return public_reason(e)


async def first_event(events: AsyncIterator[Delta | Reply]) -> Delta | Reply:
    """The first event of a turn: errors up to here (recall, prompt, model start) still become HTTP statuses."""
    try:
        return await anext(events)
    except ValueError as e:  # the agent's input errors: an empty message, a message over the model's budget
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(e)) from e


async def encode(
    events: AsyncIterator[Delta | Reply],
    first: Delta | Reply,
    on_delta: Callable[[Delta], bytes | None],
    on_reply: Callable[[Reply], list[bytes]],
    on_error: Callable[[BaseException], bytes],
) -> AsyncIterator[bytes]:
    """The rest of the turn as SSE bytes; an error after the response started becomes an error event, not a 500."""
    event = first
    try:
        while True:
            if isinstance(event, Reply):
                for chunk in on_reply(event):
                    yield chunk
                return
            if (chunk := on_delta(event)) is not None:
                yield chunk
            event = await anext(events)
    except Exception as e:  # the status line is sent: the client can only learn of the failure in-band
        log.exception("stream failed after it started")
        yield on_error(e)
    finally:
        await events.aclose()
