"""The agent as the factory builds it, on each provider: the local model, OpenAI and Portkey (loopback servers)."""

from datetime import UTC, datetime

import pytest

from agent_lib.agent import llm_consolidator
from agent_lib.core import MemoryItem
from agent_lib.factory import AgentFactory, AgentSettings
from agent_lib.llm.openai import OpenAILLM
from agent_lib.memory.consolidate import apply_decisions

BARE = {"redis_url": None, "google_cloud_project": None, "firestore_emulator_host": None,
        "openai_api_key": None, "openai_base_url": None, "portkey_api_key": None, "portkey_base_url": None}


def settings(tmp_path, **overrides) -> AgentSettings:
    return AgentSettings(memory_data_dir=tmp_path, agent_max_tokens=12, agent_temperature=0, **{**BARE, **overrides})


@pytest.fixture
async def build(tmp_path):
    """Build agents from settings; every agent built is closed after the test."""
    built = []

    async def make(**overrides):
        agent = await AgentFactory(settings(tmp_path, **overrides)).build()
        built.append(agent)
        await agent.warm_up()
        assert agent.ready, agent.warm_up_error
        return agent

    yield make
    for agent in built:
        await agent.aclose()


async def remembers_and_recalls_per_user(agent, provider: str):
    """Chat, remember, promote; a later session of the same user recalls it, another user does not.
    Remote providers promote with the model (a summary appears); the local model does not, and recall works the same."""
    reply = await agent.chat("ada", "kyoto", "I am planning a trip to Kyoto in April.")
    assert (reply.provider, reply.reply != "") == (provider, True)
    assert reply.usage.completion_tokens > 0
    _, turns = await agent.memory.session("ada", "kyoto")
    assert [(t.role.value, t.content) for t in turns] == [
        ("user", "I am planning a trip to Kyoto in April."), ("assistant", reply.reply)]
    await agent.memory.promote_idle(idle_after_s=0)
    summaries = [m for m in await agent.memory.memories("ada") if m.kind.value == "summary"]
    assert bool(summaries) == (provider != "local")
    later = await agent.chat("ada", "packing", "Where am I travelling in April?")
    long_term = [i for i in later.recalled if i.tier.value == "long"]
    assert long_term and all(i.user == "ada" and i.session == "kyoto" for i in long_term)
    other = await agent.chat("bob", "packing", "Where am I travelling in April?")
    assert [i for i in other.recalled if i.user != "bob"] == []
    assert not [i for i in other.recalled if i.tier.value == "long"]


async def test_local_model_agent_remembers_and_recalls_per_user(build):
    agent = await build()
    caps = agent.capabilities.components
    assert (caps["llm"].backend, caps["promotion"].backend) == ("local", "off")
    assert "noise" in caps["promotion"].detail and agent.memory.extract_facts is None
    await remembers_and_recalls_per_user(agent, "local")


async def test_openai_agent_over_a_real_openai_compatible_server(build, compat_url):
    agent = await build(openai_api_key="sk-test", openai_base_url=compat_url)
    llm, promotion = agent.capabilities.components["llm"], agent.capabilities.components["promotion"]
    assert (llm.backend, llm.degraded, promotion.backend) == ("openai", False, "llm")
    assert agent.memory.consolidate is not None
    reply = await agent.chat("eve", "s1", "hello there")
    assert reply.reply == "echo: hello there"
    await remembers_and_recalls_per_user(agent, "openai")


async def test_portkey_agent_through_the_real_gateway(build, gateway_url, compat_url, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")  # the versioned gateway config reads its targets' keys
    monkeypatch.setenv("OPENAI_BASE_URL", compat_url)
    agent = await build(portkey_base_url=gateway_url)
    assert agent.capabilities.components["llm"].backend == "portkey"
    assert agent.capabilities.components["promotion"].backend == "llm"
    reply = await agent.chat("eve", "s1", "hello gateway")
    assert reply.reply == "echo: hello gateway"
    await remembers_and_recalls_per_user(agent, "portkey")


async def test_a_provider_outage_is_answered_by_the_local_model(build, compat_url):
    """The provider answers its probe, then every chat fails with 503: turns go on, on the local model."""
    agent = await build(openai_api_key="sk-test", openai_base_url=compat_url, openai_model="error-503")
    reply = await agent.chat("ada", "s1", "Are you there?")
    assert reply.provider == "local" and reply.reply
    llm = agent.capabilities.components["llm"]
    assert (llm.backend, llm.degraded) == ("local", True)


async def test_an_unreachable_provider_leaves_the_local_model_in_charge(build, closed_url):
    agent = await build(openai_api_key="sk-test", openai_base_url=closed_url, probe_timeout_s=2)
    llm = agent.capabilities.components["llm"]
    assert (llm.backend, llm.degraded, llm.probes[1].ok) == ("local", True, False)
    assert (await agent.chat("ada", "s1", "hi")).provider == "local"


async def test_remote_models_can_call_the_safe_tools(build, compat_url):
    agent = await build(openai_api_key="sk-test", openai_base_url=compat_url, agent_tools=True)
    reply = await agent.chat("ada", "s1", 'call calculate {"expression": "6 * 7"}')
    assert [c.name for c in reply.tool_calls] == ["calculate"]
    assert reply.reply == "tool result: 42"


async def test_an_empty_message_is_refused(build):
    agent = await build()
    with pytest.raises(ValueError, match="empty"):
        await agent.chat("ada", "s1", "   ")


async def test_promotion_by_the_model_follows_memory_llm_promotion(build, compat_url):
    """`off` keeps a remote model out of memory; `on` forces the local model in; both say so in the capabilities."""
    remote = await build(openai_api_key="sk-test", openai_base_url=compat_url, memory_llm_promotion="off")
    promotion = remote.capabilities.components["promotion"]
    assert (promotion.backend, promotion.detail) == ("off", "MEMORY_LLM_PROMOTION=off; raw turns are searchable")
    assert (remote.memory.summarise, remote.memory.extract_facts, remote.memory.consolidate) == (None, None, None)
    local = await build(memory_llm_promotion="on")
    assert local.capabilities.components["promotion"].backend == "llm" and local.memory.consolidate is not None


async def test_consolidation_over_a_real_openai_compatible_server(compat_url):
    """The consolidator's prompt goes through OpenAI's client; the test server's echo decides nothing, loses nothing."""
    day = datetime(2026, 1, 5, tzinfo=UTC)

    def fact(id_: str, text: str) -> MemoryItem:
        return MemoryItem(id=id_, user="ada", session="s1", tier="mid", kind="fact", text=text, created_at=day)

    candidates = [fact("lyon", "Ada moved to Lyon."), fact("bees", "Ada keeps bees.")]
    stored = fact("paris", "Ada lives in Paris.")
    llm = OpenAILLM(model="echo", api_key="sk-test", base_url=compat_url)
    try:
        decisions = await llm_consolidator(llm)(candidates, [[stored], []])
    finally:
        await llm.aclose()
    assert decisions == []
    assert apply_decisions(candidates, [[stored], []], decisions, day) == candidates
