"""Fixtures for the provider tests: the OpenAI-compatible test server and the real Portkey gateway that
`make test` started (`tools/servers.py`), and the providers under test pointed at them.

Run through `make test`, or with servers up: `tools/with_servers.sh pytest tests/llm`. A missing server is a
failure, never a skip. The server fails on demand by model name (`error-503`, `flaky-503-1-<nonce>`, `slow-<ms>`)
and counts requests per model name, so tests use model names of their own (`namespace`) when they count.
"""

import httpx
import pytest

from agent_lib.llm.openai import OpenAIEmbedder, OpenAILLM
from agent_lib.llm.portkey import PortkeyEmbedder, PortkeyLLM


@pytest.fixture
def requests_for(compat_url):
    """How many requests the test server has received for a model name."""

    def count(model: str) -> int:
        stats = httpx.get(compat_url.removesuffix("/v1") + "/_stats", timeout=5).json()
        return stats["requests"].get(model, 0)

    return count


@pytest.fixture(params=["openai", "portkey"])
async def make_llm(request, compat_url, gateway_url):
    """A factory of the provider under test: OpenAI's SDK straight to the test server, or Portkey's client
    through the real gateway to it. `base_url` replaces the endpoint the client talks to; closed after the test."""
    made = []

    def make(model: str = "echo", base_url: str | None = None, **kwargs):
        if request.param == "openai":
            llm = OpenAILLM(model=model, api_key="sk-test", base_url=base_url or compat_url, **kwargs)
        else:
            route = {"provider": "openai", "custom_host": compat_url, "provider_api_key": "sk-test"}
            llm = PortkeyLLM(model=model, base_url=base_url or gateway_url, **route, **kwargs)
        made.append(llm)
        return llm

    yield make
    for llm in made:
        await llm.aclose()


@pytest.fixture(params=["openai", "portkey"])
async def make_embedder(request, compat_url, gateway_url):
    """A factory of the embedder under test, straight to the test server or through the gateway."""
    made = []

    def make(model: str, dim: int | None = 384, batch_size: int = 256):
        if request.param == "openai":
            embedder = OpenAIEmbedder(model, dim, api_key="sk-test", base_url=compat_url, batch_size=batch_size)
        else:
            route = {"provider": "openai", "custom_host": compat_url, "provider_api_key": "sk-test"}
            embedder = PortkeyEmbedder(model, dim, batch_size=batch_size, base_url=gateway_url, **route)
        made.append(embedder)
        return embedder

    yield make
    for embedder in made:
        await embedder.aclose()
