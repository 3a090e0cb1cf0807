"""Portkey through the real gateway (npm @portkey-ai/gateway, started by `make test`) in front of the
OpenAI-compatible test server: the route each reply reports, retries and fallbacks that really happen (the
server counts the requests it got), the versioned gateway config, and what the caller sees when all fails.

Chat, streaming, tool calls and embeddings through the gateway are in test_openai.py's suite (`portkey`).
"""

from pathlib import Path

import pytest

from agent_lib.llm.base import LLMError, LLMUnavailable, collect
from agent_lib.llm.portkey import GatewayRoute, PortkeyEmbedder, PortkeyLLM, load_gateway_config

CONFIG = Path(__file__).resolve().parents[2] / "config" / "portkey" / "gateway.json"
ASK = [{"role": "user", "content": "What is the capital of France?"}]


async def raised(aw) -> Exception:
    try:
        await aw
    except Exception as e:
        return e
    raise AssertionError("no exception was raised")


@pytest.fixture
def target(compat_url):
    """A gateway target: the test server (or `host`), the model forced when given."""

    def make(model: str | None = None, host: str | None = None, **extra) -> dict:
        t = {"provider": "openai", "api_key": "sk-test", "custom_host": host or compat_url, **extra}
        return t | ({"override_params": {"model": model}} if model else {})

    return make


@pytest.fixture
async def make_portkey(gateway_url):
    """PortkeyLLMs on the real gateway with a given config; closed after the test."""
    made = []

    def make(config: dict, model: str = "echo", **kwargs) -> PortkeyLLM:
        made.append(PortkeyLLM(model=model, base_url=gateway_url, config=config, **kwargs))
        return made[-1]

    yield make
    for llm in made:
        await llm.aclose()


async def test_a_direct_route_reports_no_retry_and_no_fallback(make_portkey, target):
    r = await make_portkey(target()).chat(ASK)
    assert r.text == "echo: What is the capital of France?"
    assert (r.route.target, r.route.retries, r.usage.cost_usd) == ("config", 0, None)  # the OSS gateway prices nothing


async def test_a_503_then_200_is_retried_by_the_gateway(make_portkey, target, namespace, requests_for):
    model = f"flaky-503-1-{namespace}"
    llm = make_portkey({"retry": {"attempts": 2, "on_status_codes": [503]}, **target()}, model=model)
    r = await llm.chat(ASK)
    assert (r.text, r.model, r.route.retries) == ("echo: What is the capital of France?", model, 1)
    assert requests_for(model) == 2


async def test_a_stream_is_retried_before_it_starts(make_portkey, target, namespace, requests_for):
    model = f"flaky-503-1-{namespace}"
    llm = make_portkey({"retry": {"attempts": 1, "on_status_codes": [503]}, **target()}, model=model)
    deltas = [d async for d in llm.stream(ASK)]
    assert "".join(d.text for d in deltas) == "echo: What is the capital of France?"
    assert (deltas[-1].route.retries, deltas[-1].usage.completion_tokens) == (1, 7)
    assert requests_for(model) == 2


async def test_without_retry_the_503_reaches_the_caller(make_portkey, target, namespace, requests_for):
    model = f"flaky-503-1-{namespace}"
    assert type(await raised(make_portkey(target(), model=model).chat(ASK))) is LLMUnavailable
    assert requests_for(model) == 1


async def test_fallback_past_a_dead_target(make_portkey, target, closed_url):
    llm = make_portkey({"strategy": {"mode": "fallback"}, "targets": [target(host=closed_url), target()]})
    r = await llm.chat(ASK)
    assert (r.text, r.route.target) == ("echo: What is the capital of France?", "config.targets[1]")
    last = [d async for d in llm.stream(ASK)][-1]
    assert (last.finish_reason, last.route.target) == ("stop", "config.targets[1]")
    await llm.ping()


async def test_fallback_past_a_failing_model(make_portkey, target, namespace, requests_for):
    fallback = f"echo-{namespace}"
    config = {"strategy": {"mode": "fallback"}, "targets": [target("error-503"), target(fallback)]}
    r = await make_portkey(config).chat(ASK)
    assert (r.model, r.route.target) == (fallback, "config.targets[1]")
    assert requests_for(fallback) == 1


async def test_a_slow_target_times_out_and_falls_back(make_portkey, target):
    config = {
        "strategy": {"mode": "fallback", "on_status_codes": [408]},
        "request_timeout": 300,
        "targets": [target("slow-3000"), target("echo-after-timeout")],
    }
    r = await make_portkey(config).chat(ASK)
    assert (r.model, r.route.target) == ("echo-after-timeout", "config.targets[1]")


async def test_embeddings_fall_back_too(gateway_url, target, closed_url):
    config = {"strategy": {"mode": "fallback"}, "targets": [target(host=closed_url), target()]}
    embedder = PortkeyEmbedder("hash", dim=32, base_url=gateway_url, config=config)
    try:
        assert (await embedder.embed(["a", "b"])).shape == (2, 32)
    finally:
        await embedder.aclose()


async def test_when_every_target_fails_the_caller_sees_unavailable(make_portkey, target, closed_url):
    config = {"strategy": {"mode": "fallback"}, "targets": [target(host=closed_url), target("error-503")]}
    llm = make_portkey(config)
    assert type(await raised(llm.chat(ASK))) is LLMUnavailable
    assert type(await raised(collect(llm.stream(ASK)))) is LLMUnavailable


async def test_a_401_is_an_llm_error_and_not_fallen_back_on(make_portkey, target, namespace, requests_for):
    second = f"echo-{namespace}"
    config = {
        "strategy": {"mode": "fallback", "on_status_codes": [429, 500, 502, 503, 504]},
        "targets": [target("error-401"), target(second)],
    }
    e = await raised(make_portkey(config).chat(ASK))
    assert type(e) is LLMError and "401" in str(e)
    assert requests_for(second) == 0


async def test_a_gateway_that_does_not_listen_is_unavailable(closed_url, target):
    async with PortkeyLLM(base_url=closed_url, config=target()) as llm:
        assert type(await raised(llm.chat(ASK))) is LLMUnavailable
        assert type(await raised(llm.ping())) is LLMUnavailable


# --- the versioned config


def config_env(compat_url: str, **names) -> dict:
    return {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": compat_url} | names


async def test_the_versioned_config_retries_then_falls_back(make_portkey, compat_url, namespace, requests_for):
    failing, fallback = f"flaky-503-99-{namespace}", f"echo-{namespace}"
    env = config_env(compat_url, OPENAI_MODEL=failing, OPENAI_FALLBACK_MODEL=fallback)
    r = await make_portkey(load_gateway_config(CONFIG, env)).chat(ASK)
    assert (r.text, r.model, r.route.target) == ("echo: What is the capital of France?", fallback, "config.targets[1]")
    assert requests_for(failing) == 3  # the first attempt and two retries
    assert requests_for(fallback) == 1


async def test_the_versioned_config_answers_from_its_first_target(make_portkey, compat_url, namespace):
    env = config_env(compat_url, OPENAI_MODEL=f"echo-{namespace}")
    r = await make_portkey(load_gateway_config(CONFIG, env)).chat(ASK)
    assert (r.model, r.route) == (f"echo-{namespace}", GatewayRoute(target="config.targets[0]", cache="DISABLED"))


async def test_the_versioned_config_down_everywhere_is_unavailable(make_portkey, compat_url):
    env = config_env(compat_url, OPENAI_MODEL="error-500", OPENAI_FALLBACK_MODEL="error-429")
    assert type(await raised(make_portkey(load_gateway_config(CONFIG, env)).chat(ASK))) is LLMUnavailable


def test_the_config_loader_fills_variables_and_drops_empty_keys(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"a": "${A}", "b": "${B:-dflt}", "c": "${C:-}", "d": ["x-${A}", 3], "e": {"f": "${E:-}"}}')
    assert load_gateway_config(path, {"A": "1", "B": ""}) == {"a": "1", "b": "dflt", "d": ["x-1", 3], "e": {}}
    with pytest.raises(ValueError, match=r"\$\{A\} is not set"):
        load_gateway_config(path, {})


def test_the_versioned_config_defaults_to_openai_itself():
    config = load_gateway_config(CONFIG, {"OPENAI_API_KEY": "sk-x"})
    assert [t.get("custom_host") for t in config["targets"]] == [None, None]  # OpenAI's own host
    assert [t["override_params"]["model"] for t in config["targets"]] == ["gpt-4o-mini", "gpt-4.1-mini"]
    assert {t["api_key"] for t in config["targets"]} == {"sk-x"}
