"""POST /v1/chat/completions driven by the official `openai` client: replies, chunk streams, memory per session."""

import httpx
import openai
import pytest
from openai import AsyncOpenAI


@pytest.fixture
async def oai(live_url):
    async with AsyncOpenAI(base_url=f"{live_url}/v1", api_key="unused-while-auth-is-off", max_retries=0) as c:
        yield c


async def test_completion(oai, live_url, user):
    completion = await oai.chat.completions.create(
        model="agent",
        user=user,
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello."}],
        extra_headers={"X-Session-Id": "oai-1"},
    )
    assert completion.object == "chat.completion" and completion.id.startswith("chatcmpl-")
    choice = completion.choices[0]
    assert choice.message.role == "assistant" and choice.message.content.strip()
    assert choice.finish_reason in ("stop", "length")
    assert completion.usage.completion_tokens > 0
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens
    # `user` owns the memory and the header names the session: the turn is stored there
    async with httpx.AsyncClient(base_url=live_url) as c:
        turns = (await c.get(f"/v1/users/{user}/sessions/oai-1")).json()["messages"]
    assert [m["content"] for m in turns] == ["Say hello.", choice.message.content]


async def test_streamed_completion(oai, live_url, user):
    stream = await oai.chat.completions.create(
        model="agent",
        user=user,
        messages=[{"role": "user", "content": "Count to three."}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]  # the client stops at `data: [DONE]`
    assert all(c.object == "chat.completion.chunk" and c.id == chunks[0].id for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip() and sum(1 for c in chunks if c.choices and c.choices[0].delta.content) > 1
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] in ("stop", "length")
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0
    # no header: the session is "default"
    async with httpx.AsyncClient(base_url=live_url) as c:
        turns = (await c.get(f"/v1/users/{user}/sessions/default")).json()["messages"]
    assert [m["content"] for m in turns] == ["Count to three.", text]


async def test_stream_ends_with_done(client, user):
    body = {"user": user, "messages": [{"role": "user", "content": "Hi"}], "stream": True}
    response = await client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200 and response.text.rstrip().endswith("data: [DONE]")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"messages": [{"role": "system", "content": "Be brief."}]}, "no user message"),
        ({"messages": [{"role": "user", "content": "  "}]}, "empty"),
        ({"messages": []}, "at least 1 item"),
        ({"messages": [{"role": "user", "content": "hi"}], "user": "no spaces allowed"}, "pattern"),
    ],
)
async def test_bad_requests_are_422(oai, body, reason):
    with pytest.raises(openai.UnprocessableEntityError, match=reason):
        await oai.chat.completions.create(model="agent", **body)


async def test_bad_session_header_is_422(oai):
    with pytest.raises(openai.UnprocessableEntityError, match="pattern"):
        await oai.chat.completions.create(
            model="agent", messages=[{"role": "user", "content": "hi"}], extra_headers={"X-Session-Id": "a b"}
        )


async def test_max_tokens_limits_the_reply_and_says_so(oai, user):
    completion = await oai.chat.completions.create(
        model="agent", user=user, messages=[{"role": "user", "content": "Tell me a long story."}], max_tokens=2
    )
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage.completion_tokens <= 2
