"""LocalLLM: the real SmolLM2-135M-Instruct model from the installed package, offline, on CPU or GPU.

The GGUF file is converted once per test module, into a temporary cache; every other test loads from
that cache or shares the module's loaded model. Prompts are tiny and replies short.
"""

import asyncio
import json
import logging
import os
import threading

import pytest
from transformers import AutoTokenizer

from agent_lib.llm.base import LLM, ChatResult, LLMError, LLMUnavailable, ToolSpec, collect
from agent_lib.llm.local import LocalLLM, cache_folder, default_model

QUESTION = [{"role": "user", "content": "What is the capital of France?"}]
QUESTIONS = [
    [{"role": "user", "content": q}]
    for q in ["What is the capital of France?", "What is 2 + 2?", "Name a primary colour.", "Who wrote Hamlet?"]
]
STORY = [{"role": "user", "content": "Write a long story about a dragon who learns to bake bread."}]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    """One model cache for the module, empty at first, so the first load converts (once per session)."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def llm(cache_dir):
    """The module's model, loaded once (the GGUF is converted into `cache_dir` on the way)."""
    model = LocalLLM(cache_dir=cache_dir, seed=1234)
    assert not cache_folder(model.path, cache_dir).exists()
    asyncio.run(model.load())
    yield model
    asyncio.run(model.aclose())


@pytest.fixture(scope="module")
def greedy(llm) -> ChatResult:
    """The greedy answer to QUESTION, asked alone."""
    return asyncio.run(llm.chat(QUESTION, max_tokens=16, temperature=0))


def stream_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("local-llm-stream-")]


async def wait_until(condition, seconds: float = 10.0) -> bool:
    """Poll `condition` while letting the event loop run; whether it became true in time."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


def test_protocol_and_attributes(llm):
    assert isinstance(llm, LLM)
    assert (llm.provider, llm.model, llm.supports_tools) == ("local", "SmolLM2-135M-Instruct.Q4_1", False)
    assert llm.path == default_model()
    assert llm.device == "cpu" or llm.device.startswith("cuda:")
    assert llm.context_tokens == 8192 == llm._model.config.max_position_embeddings


def test_first_load_converted_into_the_cache(llm, cache_dir):
    folder = cache_folder(llm.path, cache_dir)
    assert llm.source == "converted"
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {p.name for p in folder.iterdir()}
    assert "quantization_config" not in json.loads((folder / "config.json").read_text())
    assert [p.name for p in cache_dir.iterdir()] == [folder.name]  # no temporary folder left behind


async def test_second_instance_loads_from_the_cache_and_waits_for_it(llm, cache_dir, greedy):
    other = LocalLLM(cache_dir=cache_dir)
    assert (other.ready, other.load_error, other.source, other._loading) == (False, None, None, None)  # nothing loads at construction
    with pytest.raises(LLMUnavailable, match="not loaded"):
        await other.ping()
    with pytest.raises(LLMUnavailable, match="not loaded"):
        other.count_tokens("hello")
    try:
        # a chat before any load starts the load and waits for it; concurrent load() calls share it
        reply, *_ = await asyncio.gather(other.chat(QUESTION, max_tokens=16, temperature=0), other.load(), other.load())
        assert (other.ready, other.load_error, other.source) == (True, None, "cache")
        assert reply.text == greedy.text
        await other.load()  # idempotent once loaded
        await other.ping()
    finally:
        await other.aclose()
    assert not other.ready
    with pytest.raises(LLMUnavailable, match="closed"):
        await other.chat(QUESTION, max_tokens=4)
    with pytest.raises(LLMUnavailable, match="closed"):
        await other.ping()


def test_chat_returns_text_and_usage(greedy):
    assert greedy.text.strip() and "Paris" in greedy.text
    assert greedy.usage.prompt_tokens > 0 and 0 < greedy.usage.completion_tokens <= 16
    assert (greedy.provider, greedy.model, greedy.finish_reason) == ("local", "SmolLM2-135M-Instruct.Q4_1", "stop")


def test_usage_and_count_tokens_agree_with_the_tokenizer(llm, greedy):
    tokenizer = AutoTokenizer.from_pretrained(llm.folder, local_files_only=True)
    text = "Ada prefers green tea in the morning."
    assert llm.count_tokens(text) == len(tokenizer(text, add_special_tokens=False)["input_ids"])
    prompt = tokenizer.apply_chat_template(QUESTION, add_generation_prompt=True, tokenize=True, return_dict=True)
    assert greedy.usage.prompt_tokens == len(prompt["input_ids"])
    assert greedy.usage.completion_tokens == len(tokenizer(greedy.text, add_special_tokens=False)["input_ids"]) + 1  # + <|im_end|>


async def test_max_tokens_cuts_the_reply(llm):
    reply = await llm.chat(STORY, max_tokens=5, temperature=0)
    assert (reply.usage.completion_tokens, reply.finish_reason) == (5, "length")


async def test_stream_equals_chat_when_greedy(llm, greedy):
    streamed = await collect(llm.stream(QUESTION, max_tokens=16, temperature=0))
    assert (streamed.text, streamed.usage, streamed.finish_reason) == (greedy.text, greedy.usage, greedy.finish_reason)


async def test_stream_deltas_then_a_final_one_with_usage(llm):
    deltas = [d async for d in llm.stream(QUESTION, max_tokens=16, temperature=0)]
    assert len(deltas) > 2
    assert all(d.text and d.usage is None and d.finish_reason is None for d in deltas[:-1])
    assert deltas[-1].finish_reason == "stop" and deltas[-1].usage.completion_tokens > 0


async def test_seeded_sampling_is_reproducible(llm):
    first = await llm.chat(QUESTION, max_tokens=12, temperature=1.0)
    second = await llm.chat(QUESTION, max_tokens=12, temperature=1.0)
    assert first.text and first.text == second.text


async def test_concurrent_chats_are_batched_and_answered_correctly(llm):
    llm.max_batch = 1
    try:
        alone = [await llm.chat(q, max_tokens=12, temperature=0) for q in QUESTIONS]
    finally:
        llm.max_batch = 8
    llm.batch_sizes.clear()
    together = await asyncio.gather(*(llm.chat(q, max_tokens=12, temperature=0) for q in QUESTIONS))
    assert dict(llm.batch_sizes) == {len(QUESTIONS): 1}
    assert [r.text for r in together] == [r.text for r in alone]
    assert [r.usage for r in together] == [r.usage for r in alone]
    assert len({r.text for r in together}) == len(QUESTIONS)  # each got its own answer


async def test_groups_below_min_batch_run_one_by_one(llm):
    llm.batch_sizes.clear()
    before, llm.min_batch = llm.min_batch, 3
    try:
        replies = await asyncio.gather(*(llm.chat(q, max_tokens=4, temperature=0) for q in QUESTIONS[:2]))
    finally:
        llm.min_batch = before
    assert dict(llm.batch_sizes) == {1: 2} and all(r.text for r in replies)


def test_batching_defaults_follow_the_device(llm, cache_dir):
    assert LocalLLM(cache_dir=cache_dir, device="cpu").min_batch == 4
    assert LocalLLM(cache_dir=cache_dir, device="cuda:0").min_batch == 2  # nothing loads, so no GPU is needed
    assert (llm.max_batch, LocalLLM(cache_dir=cache_dir, min_batch=5).min_batch) == (8, 5)


async def test_different_settings_are_not_batched_together(llm):
    llm.batch_sizes.clear()
    short, longer = await asyncio.gather(
        llm.chat(STORY, max_tokens=3, temperature=0), llm.chat(STORY, max_tokens=6, temperature=0)
    )
    assert dict(llm.batch_sizes) == {1: 2}
    assert (short.usage.completion_tokens, longer.usage.completion_tokens) == (3, 6)
    assert longer.text.startswith(short.text.strip())


async def test_a_stream_left_early_stops_its_thread(llm, caplog):
    caplog.set_level(logging.INFO, logger="agent_lib.llm.local")
    received = []
    async for delta in llm.stream(STORY, max_tokens=400, temperature=0):
        received.append(delta)
        if len(received) == 2:
            break
    # 400 tokens take >10 s here; a stopped stream ends after the token in flight
    assert await wait_until(lambda: not stream_threads()), stream_threads()
    stopped = [r.getMessage() for r in caplog.records if "stopped by its consumer" in r.getMessage()]
    assert len(stopped) == 1 and "of at most 400 tokens" in stopped[0]
    assert int(stopped[0].split(" after ")[1].split()[0]) < 50


async def test_prompt_too_long_is_refused(llm):
    long = [{"role": "user", "content": "word " * 9000}]
    with pytest.raises(LLMError, match="exceed the context"):
        await llm.chat(long, max_tokens=8)
    with pytest.raises(LLMError, match="exceed the context"):
        await collect(llm.stream(long, max_tokens=8))


async def test_tools_are_accepted_and_never_called(llm, greedy):
    reply = await llm.chat(QUESTION, max_tokens=16, temperature=0, tools=[ToolSpec(name="now", description="The time.")])
    assert (reply.text, reply.tool_calls) == (greedy.text, [])


def test_bad_model_paths_fail_clearly(tmp_path):
    with pytest.raises(LLMError, match="no such file or folder"):
        LocalLLM(tmp_path / "missing.gguf")
    with pytest.raises(LLMError, match="has no config.json"):
        LocalLLM(tmp_path)
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"definitely not a model")
    with pytest.raises(LLMError, match="is not a GGUF file"):
        LocalLLM(junk)


async def test_a_model_that_fails_to_load_says_why(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama", "max_position_embeddings": 64}))
    broken = LocalLLM(tmp_path)
    assert broken.context_tokens == 64
    with pytest.raises(LLMError, match=f"local model {tmp_path} failed to load"):
        await broken.load()
    assert not broken.ready and isinstance(broken.load_error, LLMError)
    with pytest.raises(LLMError, match="failed to load"):
        await broken.load()  # not retried: the same error
    with pytest.raises(LLMUnavailable, match="failed to load"):
        await broken.ping()
    with pytest.raises(LLMUnavailable, match="failed to load"):
        await broken.chat(QUESTION, max_tokens=4)


def test_cache_key_follows_the_file(tmp_path):
    f = tmp_path / "m.gguf"
    f.write_bytes(b"GGUF" + bytes(8))
    key = cache_folder(f, tmp_path / "cache")
    assert key == cache_folder(f, tmp_path / "cache") and key.parent == tmp_path / "cache"
    os.utime(f, ns=(0, 0))
    assert cache_folder(f, tmp_path / "cache") != key


async def test_a_short_reply_in_a_batch_does_not_wait_for_a_long_one(llm):
    llm.batch_sizes.clear()
    before, llm.min_batch = llm.min_batch, 2
    try:
        short = asyncio.ensure_future(llm.chat(QUESTIONS[1], max_tokens=100, temperature=0))
        long = asyncio.ensure_future(llm.chat(STORY, max_tokens=100, temperature=0))
        done, _ = await asyncio.wait([short, long], return_when=asyncio.FIRST_COMPLETED)
    finally:
        llm.min_batch = before
    assert done == {short} and short.result().usage.completion_tokens < 20
    # the long row still has 80+ tokens to go (seconds); had the batch been answered as a whole, it would be done by now
    await asyncio.sleep(0.2)
    assert not long.done()
    assert (await long).usage.completion_tokens == 100
    assert dict(llm.batch_sizes) == {2: 1}
