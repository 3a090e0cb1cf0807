"""Metrics, request ids and Cloud Logging's JSON lines, over real HTTP."""

import asyncio
import json
import time

import httpx
from prometheus_client.parser import text_string_to_metric_families

from app.core.logs import parse_cloud_trace


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_count_requests_tokens_and_state(client, user):
    before = samples((await client.get("/metrics")).text)
    reply = (await client.post("/v1/chat", json={"user": user, "session": "m", "message": "Hello"})).json()
    after = samples((await client.get("/metrics")).text)

    def grew(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("agent_tokens_total", provider="local", kind="completion") == reply["usage"]["completion_tokens"]
    assert grew("agent_tokens_total", provider="local", kind="prompt") == reply["usage"]["prompt_tokens"]
    assert grew("agent_turns_total", provider="local", degraded="false") == 1
    route = {"method": "POST", "route": "/v1/chat", "status": "200"}
    assert grew("http_request_duration_seconds_count", **route) == 1
    assert grew("http_request_duration_seconds_sum", **route) > 0
    for tier, operation in (("short", "window"), ("mid", "add_turns"), ("mid", "session"), ("long", "search")):
        assert grew("memory_operation_duration_seconds_count", tier=tier, operation=operation) >= 1, (tier, operation)
    assert after[("agent_ready", ())] == 1
    components = {dict(k[1])["component"]: v for k, v in after.items() if k[0] == "agent_component_degraded"}
    assert components == {"short_term": 0, "mid_term": 0, "long_term": 0, "embedder": 0, "llm": 0, "promotion": 0}


async def test_unmatched_paths_share_one_label(client):
    await client.get("/no/such/path/1")
    await client.get("/no/such/path/2")
    text = (await client.get("/metrics")).text
    assert 'route="unmatched"' in text and "/no/such/path" not in text


async def test_request_id_is_echoed_or_made(client):
    assert (await client.get("/healthz", headers={"X-Request-Id": "req-123"})).headers["x-request-id"] == "req-123"
    made = (await client.get("/healthz")).headers["x-request-id"]
    assert len(made) == 32 and int(made, 16) >= 0


TRACE_ID = "105445aa7843bc8bf206b12000100000"
# span ids that are not an unsigned 64-bit integer in ASCII digits (int() of the first raises: 4,300 digits is
# Python's limit for int() of a string; "²" is a digit to str.isdigit but not to int())
BAD_SPANS = ["9" * 4300, "9" * 100_000, "18446744073709551616", "²", "١٢٣", "-1", "1e3", ""]


def test_cloud_trace_header():
    assert parse_cloud_trace(f"{TRACE_ID}/1;o=1") == (TRACE_ID, "0000000000000001")
    assert parse_cloud_trace(f"{TRACE_ID}/18446744073709551615") == (TRACE_ID, "ffffffffffffffff")
    assert parse_cloud_trace(TRACE_ID) == (TRACE_ID, None)
    assert parse_cloud_trace("not a trace/1") is None and parse_cloud_trace(None) is None
    for span in BAD_SPANS:
        assert parse_cloud_trace(f"{TRACE_ID}/{span};o=1") == (TRACE_ID, None), span[:30]


async def test_a_malformed_trace_header_never_fails_a_request(client, user):
    """The header is the client's to send: a span of 4,300 digits used to give a 500 on every route."""
    headers = [f"{TRACE_ID}/{span};o=1".encode() for span in BAD_SPANS if span.isascii()]
    headers += ["²/²".encode("latin-1"), b"x" * 8000, b"/;o=1"]
    for path in ("/healthz", "/readyz", "/metrics", f"/v1/users/{user}/sessions"):
        for header in headers:
            response = await client.get(path, headers={"X-Cloud-Trace-Context": header})
            assert response.status_code == 200, (path, header[:40], response.text[:200])


async def test_deployed_logs_are_json_with_trace_and_request_id(deployed, auth_headers, user):
    trace_id = "0123456789abcdef0123456789abcdef"
    headers = {**auth_headers, "X-Cloud-Trace-Context": f"{trace_id}/255;o=1", "X-Request-Id": f"log-{user}"}
    async with httpx.AsyncClient(base_url=deployed.url, timeout=60) as c:
        assert (await c.get(f"/v1/users/{user}/sessions", headers=headers)).status_code == 200
    deadline = time.monotonic() + 10
    while True:
        lines = [json.loads(line) for line in deployed.log.read_text().splitlines() if f"log-{user}" in line]
        if lines or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    assert len(lines) == 1, lines
    line = lines[0]
    assert line["severity"] == "INFO" and line["logger"] == "app.request" and line["time"]
    assert line["logging.googleapis.com/trace"] == trace_id  # no GOOGLE_CLOUD_PROJECT here, so no projects/... prefix
    assert line["logging.googleapis.com/spanId"] == "00000000000000ff"
    assert line["httpRequest"]["status"] == 200 and line["httpRequest"]["requestMethod"] == "GET"
    assert line["route"] == "/v1/users/{user}/sessions"
