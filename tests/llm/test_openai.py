"""The OpenAI-protocol providers: one suite over OpenAI's SDK straight to the test server and over Portkey's
client through the real gateway (`make_llm`, `make_embedder`), then what is OpenAI's alone.

The server (tools/openai_compat_server.py) answers `echo: <last user message>`, counts a word as a token, calls a
tool when told `call <tool> <json>`, and fails by model name; nothing here is stubbed or mocked.
"""

import asyncio

import numpy as np
import pytest

from agent_lib.llm.base import LLM, ChatResult, LLMError, LLMUnavailable, ToolSpec, collect
from agent_lib.llm.openai import OpenAIEmbedder, OpenAILLM, context_tokens_of, estimate_tokens
from agent_lib.memory.base import Embedder, MemoryBackendError, MemoryUnavailable

ASK = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is the capital of France?"}]
WEATHER = ToolSpec(
    name="weather",
    description="Today's weather in a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


async def raised(aw) -> Exception:
    try:
        await aw
    except Exception as e:
        return e
    raise AssertionError("no exception was raised")


# --- the chat protocol, over both providers


async def test_chat_answers_from_the_server(make_llm):
    llm = make_llm()
    assert isinstance(llm, LLM)
    r = await llm.chat(ASK)
    assert (r.text, r.finish_reason, r.model, r.provider) == (
        "echo: What is the capital of France?",
        "stop",
        "echo",
        llm.provider,
    )
    assert (r.usage.prompt_tokens, r.usage.completion_tokens, r.tool_calls) == (8, 7, [])


async def test_stream_yields_tokens_and_ends_with_finish_and_usage(make_llm):
    deltas = [d async for d in make_llm().stream(ASK)]
    assert [d.text for d in deltas[:-1]] == ["echo:", " What", " is", " the", " capital", " of", " France?"]
    last = deltas[-1]
    assert (last.text, last.finish_reason, last.usage.prompt_tokens, last.usage.completion_tokens) == ("", "stop", 8, 7)
    assert all(d.usage is None and d.finish_reason is None for d in deltas[:-1])


async def test_collect_of_the_stream_equals_chat(make_llm):
    llm = make_llm()
    whole = await llm.chat(ASK)
    streamed = await collect(llm.stream(ASK), provider=llm.provider, model="echo")
    assert streamed == ChatResult(**dict(whole))


async def test_max_tokens_cuts_the_reply(make_llm):
    llm = make_llm()
    r = await llm.chat(ASK, max_tokens=3)
    assert (r.text, r.finish_reason, r.usage.completion_tokens) == ("echo: What is", "length", 3)
    streamed = await collect(llm.stream(ASK, max_tokens=3))
    assert (streamed.text, streamed.finish_reason) == ("echo: What is", "length")


async def test_an_abandoned_stream_leaves_the_client_usable(make_llm):
    llm = make_llm()
    stream = llm.stream(ASK)
    async for _ in stream:
        break
    await stream.aclose()
    assert (await llm.chat(ASK)).text.startswith("echo:")


async def test_tool_calls_are_parsed_and_their_results_answered(make_llm):
    llm = make_llm()
    r = await llm.chat([{"role": "user", "content": 'call weather {"city": "Paris"}'}], tools=[WEATHER])
    assert r.finish_reason == "tool_calls" and r.text == ""
    [call] = r.tool_calls
    assert (call.name, call.arguments) == ("weather", {"city": "Paris"}) and call.id
    asked = {"id": call.id, "type": "function", "function": {"name": "weather", "arguments": '{"city": "Paris"}'}}
    follow_up = [
        {"role": "user", "content": 'call weather {"city": "Paris"}'},
        {"role": "assistant", "content": None, "tool_calls": [asked]},
        {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21 C"},
    ]
    r = await llm.chat(follow_up, tools=[WEATHER])
    assert (r.text, r.finish_reason, r.tool_calls) == ("tool result: sunny, 21 C", "stop", [])


async def test_without_tools_a_call_request_is_plain_text(make_llm):
    r = await make_llm().chat([{"role": "user", "content": "call weather {}"}])
    assert (r.text, r.tool_calls) == ("echo: call weather {}", [])


@pytest.mark.parametrize("arguments", ["{not json", '["Paris"]'])
async def test_tool_arguments_that_are_not_a_json_object_are_refused(make_llm, arguments):
    e = await raised(make_llm().chat([{"role": "user", "content": f"call weather {arguments}"}], tools=[WEATHER]))
    assert type(e) is LLMError and "'weather'" in str(e)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503])
async def test_transient_statuses_are_unavailable(make_llm, status):
    llm = make_llm(f"error-{status}")
    assert type(await raised(llm.chat(ASK))) is LLMUnavailable
    assert type(await raised(collect(llm.stream(ASK)))) is LLMUnavailable


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
async def test_refusals_are_llm_errors(make_llm, status):
    llm = make_llm(f"error-{status}")
    e = await raised(llm.chat(ASK))
    assert type(e) is LLMError and str(status) in str(e)
    assert type(await raised(collect(llm.stream(ASK)))) is LLMError


async def test_an_endpoint_that_does_not_listen_is_unavailable(make_llm, closed_url):
    llm = make_llm(base_url=closed_url)
    assert type(await raised(llm.chat(ASK))) is LLMUnavailable
    assert type(await raised(collect(llm.stream(ASK)))) is LLMUnavailable
    assert type(await raised(llm.ping())) is LLMUnavailable


async def test_a_slow_answer_times_out_as_unavailable(make_llm):
    llm = make_llm("slow-3000", timeout=0.3)
    assert type(await raised(llm.chat(ASK))) is LLMUnavailable


async def test_ping_answers(make_llm):
    await make_llm().ping()


async def test_concurrent_chats_each_get_their_own_reply(make_llm):
    llm = make_llm()
    asks = [[{"role": "user", "content": f"question {i}"}] for i in range(20)]
    replies = await asyncio.gather(*(llm.chat(a) for a in asks))
    assert [r.text for r in replies] == [f"echo: question {i}" for i in range(20)]


# --- embeddings, over both providers


async def test_embeddings_are_unit_float32_rows_in_input_order_across_batches(make_embedder, namespace, requests_for):
    model = f"hash-{namespace}"
    embedder = make_embedder(model, dim=384, batch_size=2)
    assert isinstance(embedder, Embedder) and (embedder.name, embedder.dim) == (model, 384)
    texts = ["Ada likes green tea", "Ada likes tea", "the train leaves at noon", "green tea", "noon train"]
    vectors = await embedder.embed(texts)
    assert vectors.shape == (5, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-6)
    assert requests_for(model) == 3  # 5 texts in batches of 2
    one_by_one = np.stack([(await embedder.embed([t]))[0] for t in texts])
    assert np.allclose(vectors, one_by_one, atol=1e-6)
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 3] > sims[0, 2]  # shared words are near, none is far


async def test_embedding_nothing_sends_nothing(make_embedder, namespace, requests_for):
    model = f"hash-{namespace}"
    assert (await make_embedder(model).embed([])).shape == (0, 384)
    assert requests_for(model) == 0


async def test_a_vector_of_the_wrong_size_is_refused(make_embedder):
    # text-embedding-3-small is 1536 wide, so no `dimensions` is sent and the server answers its default, 384
    e = await raised(make_embedder("text-embedding-3-small", dim=None).embed(["x"]))
    assert type(e) is MemoryBackendError and "384 dimensions, not 1536" in str(e)


async def test_embedding_failures_are_memory_failures(make_embedder):
    assert type(await raised(make_embedder("error-503").embed(["x"]))) is MemoryUnavailable
    assert type(await raised(make_embedder("error-429").embed(["x"]))) is MemoryUnavailable
    assert type(await raised(make_embedder("error-401").embed(["x"]))) is MemoryBackendError


# --- OpenAI's SDK alone


async def test_key_and_endpoint_come_from_the_environment(monkeypatch, compat_url):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    monkeypatch.setenv("OPENAI_BASE_URL", compat_url)
    async with OpenAILLM(model="echo") as llm:
        assert (await llm.chat(ASK)).text == "echo: What is the capital of France?"
    embedder = OpenAIEmbedder("hash", dim=16)
    assert (await embedder.embed(["x"])).shape == (1, 16)
    await embedder.aclose()


def test_a_missing_key_is_an_llm_error(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(LLMError, match="api_key"):
        OpenAILLM()
    with pytest.raises(MemoryBackendError, match="api_key"):
        OpenAIEmbedder()


async def test_a_client_of_the_callers_is_used_and_left_open(compat_url):
    import openai

    client = openai.AsyncOpenAI(api_key="sk-test", base_url=compat_url, max_retries=0)
    async with OpenAILLM(model="echo", client=client) as llm:
        assert (await llm.chat(ASK)).text.startswith("echo:")
    assert not client.is_closed()
    await client.close()


async def test_the_sdk_does_not_retry_by_default(namespace, compat_url, requests_for):
    model = f"flaky-503-1-{namespace}"
    async with OpenAILLM(model=model, api_key="sk-test", base_url=compat_url) as llm:
        assert type(await raised(llm.chat(ASK))) is LLMUnavailable
    assert requests_for(model) == 1
    async with OpenAILLM(model=model, api_key="sk-test", base_url=compat_url, max_retries=1) as llm:
        assert (await llm.chat(ASK)).text.startswith("echo:")  # the second request of that model succeeds


async def test_faults_asked_for_at_run_time_hit_the_next_requests_in_order(compat_url):
    """What `make load` does to a service whose model name is fixed: 429, 503, then an answer past the timeout."""
    import httpx

    root = compat_url.removesuffix("/v1")
    async with httpx.AsyncClient() as http:
        assert (await http.post(f"{root}/_faults", json=[{"status": 7, "count": 1}])).status_code == 400
        faults = [{"status": 429, "count": 1}, {"status": 503, "count": 1}, {"delay_ms": 1000, "count": 1}]
        assert (await http.post(f"{root}/_faults", json=faults)).json() == {"faults": faults}
        async with OpenAILLM(model="echo", api_key="sk-test", base_url=compat_url, timeout=0.3) as llm:
            for _ in faults:
                assert type(await raised(llm.chat(ASK))) is LLMUnavailable
            assert (await llm.chat(ASK)).text.startswith("echo:")
        assert (await http.get(f"{root}/_faults")).json() == {"faults": []}


def test_token_estimate_errs_high_and_context_comes_from_the_model_name():
    assert estimate_tokens("The quick brown fox jumps over the lazy dog.") == 12
    assert estimate_tokens("naïve café") >= 3
    assert [context_tokens_of(m) for m in ("gpt-4o-2024-08-06", "gpt-4.1-mini", "o3-mini", "unknown")] == [
        128_000,
        1_047_576,
        200_000,
        8_192,
    ]
    assert OpenAILLM(api_key="k", base_url="http://127.0.0.1:9/v1", context_tokens=4096).context_tokens == 4096
