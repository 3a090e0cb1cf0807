"""Failures: a model that cannot load (readiness 503 with the reason, chat 503), an error in the middle of a stream;
what a client is told of them (our reason and the request id, never the backend's own text: that is logged)."""

import asyncio
import time
from types import SimpleNamespace

import httpx
import pytest

from agent_lib.agent import Reply
from agent_lib.llm.base import Delta, LLMError, LLMUnavailable
from app.api.deps import get_agent
from app.api.streaming import encode, sse
from app.main import app


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
            assert chat.json()["detail"].startswith("LLMUnavailable: the model cannot answer now")
        assert (await c.get("/healthz")).status_code == 200  # alive, not ready


async def test_a_backend_error_tells_a_reason_and_the_request_id_and_logs_the_rest(broken_model):
    """The body carries our reason and the request id; the exception's own text (here the local model's "is not
    loaded yet"; a provider's would name keys, hosts, models) is in the service's log only."""
    async with httpx.AsyncClient(base_url=broken_model.url, timeout=60) as c:
        deadline = time.monotonic() + 60
        while (await c.get("/readyz")).json()["warm_up_error"] is None:
            assert time.monotonic() < deadline, "the warm-up neither finished nor failed"
            await asyncio.sleep(0.2)
        calls = [
            ("/v1/chat", {"user": "a", "session": "s", "message": "hi"}),
            ("/v1/chat", {"user": "a", "session": "s", "message": "hi", "stream": True}),
            ("/v1/chat/completions", {"user": "a", "messages": [{"role": "user", "content": "hi"}]}),
        ]
        for i, (path, body) in enumerate(calls):
            rid = f"err-{i}-{time.time_ns()}"
            response = await c.post(path, json=body, headers={"X-Request-Id": rid})
            assert response.status_code == 503 and "not loaded" not in response.text, response.text
            assert response.headers["x-request-id"] == rid and f"request id {rid}" in response.text
            if path == "/v1/chat":
                assert response.json()["request_id"] == rid
    deadline = time.monotonic() + 10
    while "answered 503 for /v1/chat/completions" not in broken_model.log.read_text():
        assert time.monotonic() < deadline, "the raw error was not logged"
        await asyncio.sleep(0.1)
    logged = [line for line in broken_model.log.read_text().splitlines() if "answered 503" in line]
    assert len(logged) >= 3 and all("LLMUnavailable: the local model is not loaded yet" in line for line in logged)


RAW = "BadRequestError: Error code: 400 - {'error': {'message': 'key sk-live-0123 cannot use gpt-x at 10.1.2.3'}}"


class RefusingModel:
    """Stands in for an agent whose provider refuses every request with text that must stay private (how the OpenAI
    client's errors become LLMError is the provider notebooks'): shows what the client is told, before the first
    byte and after it."""

    llm = SimpleNamespace(model="stand-in")

    def __init__(self, after_first_token: bool):
        self.after_first_token = after_first_token

    async def chat(self, *args, **kwargs):
        raise LLMError(RAW)

    async def stream(self, *args, **kwargs):
        if self.after_first_token:
            yield Delta(text="Hel")
        raise LLMError(RAW)


@pytest.mark.parametrize("stream", [False, True])
def test_a_provider_refusal_is_502_without_its_text(app_client, auth_headers, caplog, stream):
    app.dependency_overrides[get_agent] = lambda: RefusingModel(after_first_token=False)
    headers = {**auth_headers, "X-Request-Id": "refused-1"}
    chat = app_client.post(
        "/v1/chat", json={"user": "a", "session": "s", "message": "hi", "stream": stream}, headers=headers
    )
    assert chat.status_code == 502 and chat.json() == {
        "detail": "LLMError: the model provider refused the request; retrying it will not help (request id refused-1)",
        "request_id": "refused-1",
    }
    body = {"user": "a", "messages": [{"role": "user", "content": "hi"}], "stream": stream}
    completion = app_client.post("/v1/chat/completions", json=body, headers=headers)
    assert completion.status_code == 502 and completion.json()["error"]["type"] == "api_error"
    assert "sk-live" not in completion.text and "request id refused-1" in completion.text
    assert RAW in caplog.text  # the operator still has it, under the same request id


def test_a_provider_refusal_mid_stream_is_an_error_event_without_its_text(app_client, auth_headers, sse):
    app.dependency_overrides[get_agent] = lambda: RefusingModel(after_first_token=True)
    headers = {**auth_headers, "X-Request-Id": "mid-1"}
    chat = app_client.post(
        "/v1/chat", json={"user": "a", "session": "s", "message": "hi", "stream": True}, headers=headers
    )
    events = sse(chat.text)
    assert chat.status_code == 200 and [e.event for e in events] == ["delta", "error"]
    assert events[-1].json() == {
        "reason": "LLMError: the model provider refused the request; retrying it will not help (request id mid-1)"
    }
    assert "sk-live" not in chat.text
    body = {"user": "a", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    completion = app_client.post("/v1/chat/completions", json=body, headers=headers)
    assert completion.status_code == 200 and "sk-live" not in completion.text
    assert '"type": "server_error"' in completion.text and "request id mid-1" in completion.text


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
