"""The service answers /healthz in-process and over real HTTP, and /readyz says what each component runs on."""

import httpx
from fastapi.testclient import TestClient

import agent_lib
from agent_lib.core import Capabilities, Component, Probe
from app.api.deps import get_agent
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


def test_readyz_shows_details_to_admins_only(deployed_url, auth_headers, token_for):
    """/readyz is open (probes need it): anyone sees which backend each component runs on, devices and flags; the
    free text (endpoints, paths, probe errors) only with an admin key. Same fields either way (the dashboard's)."""
    public = httpx.get(f"{deployed_url}/readyz").json()
    as_user = httpx.get(f"{deployed_url}/readyz", headers=token_for("alice")).json()
    wrong_key = httpx.get(f"{deployed_url}/readyz", headers={"Authorization": "Bearer wrong"}).json()
    full = httpx.get(f"{deployed_url}/readyz", headers=auth_headers).json()
    assert public == as_user == wrong_key
    assert public.keys() == full.keys() and public["capabilities"].keys() == full["capabilities"].keys()
    assert (public["ready"], public["degraded"], public["warm_up_error"]) == (True, [], None)
    for name, c in full["capabilities"].items():
        p = public["capabilities"][name]
        assert p == {**c, "detail": "", "probes": [{**probe, "detail": ""} for probe in c["probes"]]}, name
    assert full["capabilities"]["llm"]["detail"]  # there was something to hide
    assert any(probe["detail"] for c in full["capabilities"].values() for probe in c["probes"])


class FailedWarmUp:
    """Stands in for an agent whose warm-up failed, with text that must stay private: shows what /readyz tells of
    it (how a warm-up really fails is test_not_ready.py's)."""

    ready = False
    warm_up_error = "OSError: /srv/private/models/x has no weights"
    capabilities = Capabilities(
        components={
            "llm": Component(
                backend="local",
                device="cpu",
                detail="/srv/private/models/x",
                probes=[Probe(backend="openai", ok=False, detail="https://10.1.2.3/v1: connection refused")],
            )
        }
    )


def test_readyz_hides_a_warm_up_error_from_the_public(app_client, auth_headers):
    app.dependency_overrides[get_agent] = lambda: FailedWarmUp()
    public = app_client.get("/readyz")
    assert public.status_code == 503 and "private" not in public.text and "10.1.2.3" not in public.text
    body = public.json()
    assert body["warm_up_error"] == "the warm-up failed: an admin key shows why"
    llm = body["capabilities"]["llm"]
    assert (llm["backend"], llm["device"], llm["probes"][0]["backend"], llm["probes"][0]["ok"]) == (
        "local",
        "cpu",
        "openai",
        False,
    )
    full = app_client.get("/readyz", headers=auth_headers)
    assert full.status_code == 503 and full.json()["warm_up_error"] == FailedWarmUp.warm_up_error
    assert full.json()["capabilities"]["llm"]["probes"][0]["detail"].startswith("https://10.1.2.3")
