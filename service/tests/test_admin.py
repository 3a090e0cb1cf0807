"""Operator routes: the mid-term outbox's dead letters, listed and replayed, for admin keys only."""

import json
from types import SimpleNamespace

from agent_lib.memory.outbox import Entry
from app.api.deps import get_agent
from app.main import app

LETTER = Entry(7, "turns", "alice", "s1", json.dumps([{}, {}]), "2026-12-03T10:00:00Z", "PermissionDenied('no')", "t")


class OutboxedMid:
    """Stands in for the resilient adapter: what the routes call, recorded."""

    name = "resilient(firestore)"

    def __init__(self):
        self.replayed = []

    async def dead_letters(self, user=None):
        return [LETTER] if user in (None, "alice") else []

    async def replay(self, seqs=None):
        self.replayed.append(seqs)
        return 1


def with_mid(mid) -> None:
    app.dependency_overrides[get_agent] = lambda: SimpleNamespace(memory=SimpleNamespace(mid=mid))


def test_dead_letters_are_listed_and_replayed(app_client, auth_headers):
    mid = OutboxedMid()
    with_mid(mid)
    listed = app_client.get("/v1/admin/dead-letters", headers=auth_headers)
    assert listed.status_code == 200, listed.text
    assert listed.json() == [
        {
            "seq": 7,
            "op": "turns",
            "user": "alice",
            "session": "s1",
            "queued_at": "2026-12-03T10:00:00Z",
            "error": "PermissionDenied('no')",
            "failed_at": "t",
            "items": 2,
        }
    ]
    assert app_client.get("/v1/admin/dead-letters?user=bob", headers=auth_headers).json() == []
    replayed = app_client.post("/v1/admin/dead-letters/replay", json={"seqs": [7]}, headers=auth_headers)
    assert replayed.json() == {"replayed": 1}
    assert app_client.post("/v1/admin/dead-letters/replay", json={}, headers=auth_headers).status_code == 200
    assert mid.replayed == [[7], None]


def test_bad_replay_bodies_are_refused_with_a_reason(app_client, auth_headers):
    with_mid(OutboxedMid())
    for body in ({"seqs": [0]}, {"seqs": "all"}, {"other": 1}):
        response = app_client.post("/v1/admin/dead-letters/replay", json=body, headers=auth_headers)
        assert response.status_code == 422, (body, response.text)


def test_no_outbox_means_404_with_the_reason(app_client, auth_headers):
    with_mid(SimpleNamespace(name="sqlite"))
    response = app_client.get("/v1/admin/dead-letters", headers=auth_headers)
    assert response.status_code == 404 and "no outbox" in response.json()["detail"]


def test_user_tokens_cannot_reach_the_operator_routes(app_client, token_for):
    with_mid(OutboxedMid())
    assert app_client.get("/v1/admin/dead-letters", headers=token_for("alice")).status_code == 403
    assert app_client.post("/v1/admin/dead-letters/replay", json={}, headers=token_for("alice")).status_code == 403
