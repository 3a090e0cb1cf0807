"""Prometheus metrics: request latency by route, tokens, turns, and the state of the agent's components."""

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
