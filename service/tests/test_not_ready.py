"""Failures: a model that cannot load (readiness 503 with the reason, chat 503), an error in the middle of a stream."""

import asyncio
import time

import httpx

from agent_lib.agent import Reply
from agent_lib.llm.base import Delta, LLMUnavailable
from app.api.streaming import encode, sse


async def test_failed_warm_up_is_reported_and_chat_is_503(broken_model_url):
    async with httpx.AsyncClient(base_url=broken_model_url, timeout=60) as c:
        deadline = time.monotonic() + 60
        while (body := (response := await c.get("/readyz")).json())["warm_up_error"] is None:
            assert response.status_code == 503 and body["ready"] is False  # loading
            assert time.monotonic() < deadline, "the warm-up neither finished nor failed"
            await asyncio.sleep(0.2)
        assert response.status_code == 503 and body["ready"] is False
        assert "no-weights" in body["warm_up_error"]
        assert body["capabilities"]["llm"]["backend"] == "local"  # what it would run on is still reported
        for stream in (False, True):
            chat = await c.post("/v1/chat", json={"user": "a", "session": "s", "message": "hi", "stream": stream})
            assert chat.status_code == 503 and chat.headers["retry-after"]
            assert chat.json()["detail"].startswith("LLMUnavailable")
        assert (await c.get("/healthz")).status_code == 200  # alive, not ready


async def test_an_error_after_the_first_token_becomes_an_error_event():
    """Once the status line is sent, a failure can only be told in-band: the stream ends with `event: error`."""

    async def turn():
        yield Delta(text="Hel")
        yield Delta(text="lo")
        raise LLMUnavailable("the provider hung up")

    events = turn()
    first = await anext(events)
    chunks = [
        c
        async for c in encode(
            events,
            first,
            on_delta=lambda d: sse({"text": d.text}, event="delta"),
            on_reply=lambda r: [sse(r, event="done")],
            on_error=lambda e: sse({"reason": f"{type(e).__name__}: {e}"}, event="error"),
        )
    ]
    assert b"".join(chunks).decode() == (
        'event: delta\ndata: {"text": "Hel"}\n\n'
        'event: delta\ndata: {"text": "lo"}\n\n'
        'event: error\ndata: {"reason": "LLMUnavailable: the provider hung up"}\n\n'
    )


async def test_a_finished_turn_ends_with_done():
    reply = Reply(user="a", session="s", reply="Hi")

    async def turn():
        yield Delta(text="Hi")
        yield reply

    events = turn()
    chunks = [
        c
        async for c in encode(
            events,
            await anext(events),
            on_delta=lambda d: sse({"text": d.text}, event="delta"),
            on_reply=lambda r: [sse({"reply": r.reply}, event="done")],
            on_error=lambda e: sse({"reason": str(e)}, event="error"),
        )
    ]
    assert chunks == [sse({"text": "Hi"}, event="delta"), sse({"reply": "Hi"}, event="done")]
