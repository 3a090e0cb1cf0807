"""The memory routes over real HTTP: sessions with their turns, memories listed and searched, erasure per user."""

import asyncio
import time

import httpx
import pytest


async def say(client, user, session, message):
    response = await client.post("/v1/chat", json={"user": user, "session": session, "message": message})
    assert response.status_code == 200, response.text
    return response.json()["reply"]


async def test_sessions_and_their_turns(client, user):
    first = await say(client, user, "s1", "Hi there.")
    second = await say(client, user, "s1", "How are you?")
    await say(client, user, "s2", "Another topic.")
    sessions = (await client.get(f"/v1/users/{user}/sessions")).json()
    assert [(s["session"], s["turns"]) for s in sessions] == [("s2", 2), ("s1", 4)]  # most recently active first
    assert all(s["started_at"] <= s["last_at"] and s["summary"] is None for s in sessions)
    detail = (await client.get(f"/v1/users/{user}/sessions/s1")).json()
    assert [(m["role"], m["content"]) for m in detail["messages"]] == [
        ("user", "Hi there."),
        ("assistant", first),
        ("user", "How are you?"),
        ("assistant", second),
    ]
    assert detail["session"] == "s1" and detail["turns"] == 4


async def test_unknown_user_and_session(client, user):
    assert (await client.get(f"/v1/users/{user}/sessions")).json() == []
    assert (await client.get(f"/v1/users/{user}/memories")).json() == []
    response = await client.get(f"/v1/users/{user}/sessions/nope")
    assert response.status_code == 404 and "nope" in response.json()["detail"]


@pytest.mark.parametrize(
    "path", ["/v1/users/-x/sessions", "/v1/users/a%20b/memories", "/v1/users/alice/sessions/-s", "/v1/users/a@b/x"]
)
async def test_bad_ids_in_the_path(client, path):
    response = await client.get(path)
    assert response.status_code == (404 if path.endswith("/x") else 422)


async def test_deleting_a_session_keeps_the_others(client, user):
    await say(client, user, "s1", "First conversation.")
    await say(client, user, "s2", "Second conversation.")
    assert (await client.delete(f"/v1/users/{user}/sessions/s1")).status_code == 204
    assert (await client.get(f"/v1/users/{user}/sessions/s1")).status_code == 404
    assert [s["session"] for s in (await client.get(f"/v1/users/{user}/sessions")).json()] == ["s2"]


@pytest.mark.parametrize("what", ["sessions", "memories"])
async def test_erasing_a_user_leaves_other_users_alone(client, what):
    alice, bob = f"alice-{time.time_ns()}", f"bob-{time.time_ns()}"
    await say(client, alice, "shared", "Alice's secret plan.")
    bob_reply = await say(client, bob, "shared", "Bob's own words.")
    assert (await client.delete(f"/v1/users/{alice}/{what}")).status_code == 204
    assert (await client.get(f"/v1/users/{alice}/sessions")).json() == []
    assert (await client.get(f"/v1/users/{alice}/sessions/shared")).status_code == 404
    bob_turns = (await client.get(f"/v1/users/{bob}/sessions/shared")).json()["messages"]
    assert [m["content"] for m in bob_turns] == ["Bob's own words.", bob_reply]
    # a new turn of alice in the same session name starts from nothing: her window was erased too
    again = await client.post("/v1/chat", json={"user": alice, "session": "shared", "message": "What did I say?"})
    assert again.json()["recalled"] == []


async def test_promoted_memories_are_listed_searched_and_erased(deployed_url, auth_headers, user):
    """Idle sessions are summarised and mined for facts by the model in the background, then found by meaning."""
    async with httpx.AsyncClient(base_url=deployed_url, headers=auth_headers, timeout=60) as c:
        await say(c, user, "bees", "I keep bees in my garden and sell their honey.")
        deadline = time.monotonic() + 90
        while True:
            listed = (await c.get(f"/v1/users/{user}/memories")).json()
            if any(m["kind"] == "summary" for m in listed):
                break
            assert time.monotonic() < deadline, "the idle session was not promoted in time"
            await asyncio.sleep(0.5)
        assert all(m["tier"] == "mid" and m["session"] == "bees" and m["score"] is None for m in listed)
        assert (await c.get(f"/v1/users/{user}/sessions")).json()[0]["summary"]

        found = (await c.get(f"/v1/users/{user}/memories", params={"q": "beekeeping and honey", "k": 5})).json()
        turns = (await c.get(f"/v1/users/{user}/sessions/bees")).json()["messages"]
        # the turns themselves are long-term items too; the rest are the listed facts and summary
        assert found and len(found) <= 5 and turns[0]["id"] in {m["id"] for m in found}
        assert {m["id"] for m in found if m["kind"] != "turn"} <= {m["id"] for m in listed}
        assert all(m["tier"] == "long" and isinstance(m["score"], float) for m in found)
        assert [m["score"] for m in found] == sorted((m["score"] for m in found), reverse=True)
        other = f"{user}-other"
        assert (await c.get(f"/v1/users/{other}/memories", params={"q": "beekeeping and honey"})).json() == []

        assert (await c.delete(f"/v1/users/{user}/memories")).status_code == 204
        assert (await c.get(f"/v1/users/{user}/memories")).json() == []
        assert (await c.get(f"/v1/users/{user}/memories", params={"q": "beekeeping and honey"})).json() == []
