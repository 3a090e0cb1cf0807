"""The service answers /healthz, in-process and over real HTTP."""

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
