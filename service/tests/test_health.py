"""The service answers /healthz in-process and over real HTTP, and /readyz says what each component runs on."""

import httpx
from fastapi.testclient import TestClient

import agent_lib
from app.main import app


def test_healthz_in_process():
    response = TestClient(app).get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": agent_lib.__version__}


def test_healthz_over_http(live_url):
    response = httpx.get(f"{live_url}/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_unknown_route_is_404(live_url):
    assert httpx.get(f"{live_url}/nope").status_code == 404


def test_readyz_reports_every_component(live_url):
    response = httpx.get(f"{live_url}/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["ready"] is True and body["warm_up_error"] is None
    caps = body["capabilities"]
    assert set(caps) >= {"short_term", "mid_term", "long_term", "llm", "embedder"}
    # the test service runs on the embedded defaults: the probes say why each preferred backend was skipped
    assert (caps["short_term"]["backend"], caps["mid_term"]["backend"], caps["long_term"]["backend"]) == (
        "in-process",
        "sqlite",
        "local",
    )
    assert caps["llm"]["backend"] == "local" and caps["llm"]["device"] == "cpu" and caps["llm"]["detail"]
    # the embedded model does not write summaries and facts by default, and /readyz says so (raw turns still work)
    assert caps["promotion"]["backend"] == "off" and "raw turns are searchable" in caps["promotion"]["detail"]
    redis = next(p for p in caps["short_term"]["probes"] if p["backend"] == "redis")
    assert redis == {**redis, "ok": False, "configured": False, "detail": "REDIS_URL not set"}
    assert body["degraded"] == [] and not any(c["degraded"] for c in caps.values())


def test_openapi_documents_the_api(live_url):
    schema = httpx.get(f"{live_url}/openapi.json").json()
    assert {"/v1/chat", "/v1/chat/completions", "/v1/users/{user}/memories", "/readyz"} <= set(schema["paths"])
    assert schema["components"]["schemas"]["ChatRequest"]["examples"]
