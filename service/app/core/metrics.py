"""Prometheus metrics: request latency by route, tokens, turns, memory-tier latency and errors, component state."""

import functools
import inspect
import time
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

from agent_lib.agent import Agent, Reply

REQUEST_SECONDS = Histogram(
    "http_request_duration_seconds",
    "Time to serve a request (to the last byte of a stream), by route template.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
TOKENS = Counter("agent_tokens_total", "Tokens of chat turns.", ["provider", "kind"])
TURNS = Counter("agent_turns_total", "Chat turns answered.", ["provider", "degraded"])
READY = Gauge("agent_ready", "1 once the agent's warm-up finished.")
DEGRADED = Gauge("agent_component_degraded", "1 while a component runs on a fallback backend.", ["component"])
BREAKER = Gauge("memory_circuit_breaker_state", "Mid-term circuit breaker: 0 closed, 1 half-open, 2 open.", ["store"])
BREAKER_CODES = {"closed": 0, "half_open": 1, "open": 2}
OUTBOX_PENDING = Gauge("memory_outbox_pending", "Acknowledged mid-term writes waiting in the outbox.", ["store"])
DEAD_LETTERS = Gauge(
    "memory_outbox_dead_letters", "Mid-term writes the backend refused, kept until replayed or erased.", ["store"]
)
MEMORY_SECONDS = Histogram(
    "memory_operation_duration_seconds",
    "Time of one call to a memory tier's backend.",
    ["tier", "operation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)
MEMORY_ERRORS = Counter(
    "memory_operation_errors_total", "Calls to a memory tier that raised.", ["tier", "operation", "error"]
)


class TimedStore:
    """A memory tier whose async methods are timed and whose errors are counted; everything else passes through.

    The timed methods are built once, here, and found as instance attributes: a call costs a closure call and two
    clock reads, not a `__getattr__`, an `iscoroutinefunction` check and a `functools.wraps` copy each time (8 % of
    the service's samples under load when it did)."""

    def __init__(self, tier: str, store: Any):
        self._tier, self._store = tier, store
        for name, method in inspect.getmembers(store, inspect.iscoroutinefunction):
            if not name.startswith("_"):
                setattr(self, name, self._timed(name, method))

    def _timed(self, name: str, method: Any) -> Any:
        seconds = MEMORY_SECONDS.labels(self._tier, name)

        @functools.wraps(method)
        async def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return await method(*args, **kwargs)
            except Exception as e:
                MEMORY_ERRORS.labels(self._tier, name, type(e).__name__).inc()
                raise
            finally:
                seconds.observe(time.perf_counter() - start)

        return timed

    def __getattr__(self, name: str) -> Any:
        """What `__init__` did not wrap (properties such as `degraded`, plain methods) comes from the store."""
        return getattr(self._store, name)


def instrument_memory(agent: Agent) -> None:
    """Time every call the memory manager makes to its tiers (done once, when the agent is built)."""
    memory = agent.memory
    memory.short, memory.mid = TimedStore("short", memory.short), TimedStore("mid", memory.mid)
    if memory.long is not None:
        memory.long = TimedStore("long", memory.long)


def record_reply(reply: Reply) -> None:
    """Count a finished turn and its tokens."""
    TURNS.labels(reply.provider, str(bool(reply.degraded)).lower()).inc()
    TOKENS.labels(reply.provider, "prompt").inc(reply.usage.prompt_tokens)
    TOKENS.labels(reply.provider, "completion").inc(reply.usage.completion_tokens)


def observe_agent(agent: Agent) -> None:
    """Refresh the gauges that mirror the agent's state (called at each scrape)."""
    READY.set(1 if agent.ready else 0)
    for name, component in agent.capabilities.components.items():
        DEGRADED.labels(name).set(1 if component.degraded else 0)
    mid = agent.memory.mid
    if (state := getattr(mid, "breaker_state", None)) is not None:
        BREAKER.labels(mid.name).set(BREAKER_CODES.get(state, -1))
    if getattr(mid, "dead_letters", None) is not None:
        OUTBOX_PENDING.labels(mid.name).set(mid.pending)
        DEAD_LETTERS.labels(mid.name).set(mid.dead)
