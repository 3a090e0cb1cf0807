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
    # no header: the session is derived from the conversation's opening (see test_derived_session_*)
    async with httpx.AsyncClient(base_url=live_url) as c:
        (session,) = [s["session"] for s in (await c.get(f"/v1/users/{user}/sessions")).json()]
        turns = (await c.get(f"/v1/users/{user}/sessions/{session}")).json()["messages"]
    assert session.startswith("conv-") and [m["content"] for m in turns] == ["Count to three.", text]


async def test_derived_session_follows_one_conversation_and_not_another(client, user):
    """Without X-Session-Id: every turn of a conversation (the client resends the history) lands in one session, a
    conversation with another opening in another; the response says which."""

    async def turn(messages):
        body = {"user": user, "messages": messages, "max_tokens": 4}
        response = await client.post("/v1/chat/completions", json=body)
        assert response.status_code == 200, response.text
        return response.headers["x-session-id"], response.json()["choices"][0]["message"]["content"]

    system = {"role": "system", "content": "Be brief."}
    first, reply = await turn([system, {"role": "user", "content": "My name is Ada."}])
    history = [system, {"role": "user", "content": "My name is Ada."}, {"role": "assistant", "content": reply}]
    second, _ = await turn([*history, {"role": "user", "content": "What is my name?"}])
    other, _ = await turn([system, {"role": "user", "content": "Something else entirely."}])
    assert first == second != other and first.startswith("conv-")
    sessions = {s["session"]: s["turns"] for s in (await client.get(f"/v1/users/{user}/sessions")).json()}
    assert sessions == {first: 4, other: 2}
    named = await client.post(
        "/v1/chat/completions",
        json={"user": user, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2},
        headers={"X-Session-Id": "mine"},
    )
    assert named.headers["x-session-id"] == "mine"


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
