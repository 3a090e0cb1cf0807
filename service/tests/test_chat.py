"""POST /v1/chat over real HTTP with the local model: JSON, Server-Sent Events, memory across turns, bad input."""

import pytest


async def test_json_chat(client, user):
    response = await client.post("/v1/chat", json={"user": user, "session": "s1", "message": "Hello, I am Ada."})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["reply"].strip() and (body["user"], body["session"]) == (user, "s1")
    assert body["provider"] == "local" and body["model"]
    assert 0 < body["usage"]["completion_tokens"] <= 16 and body["usage"]["prompt_tokens"] > 0
    assert body["recalled"] == [] and body["degraded"] == []  # a new user: nothing to recall yet


async def test_second_turn_recalls_the_first(client, user):
    first = (await client.post("/v1/chat", json={"user": user, "session": "s1", "message": "I live in Lisbon."})).json()
    second = await client.post("/v1/chat", json={"user": user, "session": "s1", "message": "Where do I live?"})
    recalled = second.json()["recalled"]
    assert [(i["tier"], i["kind"]) for i in recalled] == [("short", "turn"), ("short", "turn")]
    assert [i["text"] for i in recalled] == ["user: I live in Lisbon.", f"assistant: {first['reply']}"]
    assert all(i["session"] == "s1" and i["id"] and i["created_at"] for i in recalled)


async def test_streamed_chat(client, user, sse):
    message = {"user": user, "session": "s1", "message": "Tell me about the sea.", "stream": True}
    async with client.stream("POST", "/v1/chat", json=message) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse((await response.aread()).decode())
    names = [e.event for e in events]
    assert names[-1] == "done" and set(names[:-1]) == {"delta"} and len(names) > 2, names
    done = events[-1].json()
    assert "".join(e.json()["text"] for e in events[:-1]) == done["reply"] and done["reply"].strip()
    assert (done["user"], done["session"]) == (user, "s1") and done["usage"]["completion_tokens"] > 0
    # the streamed turn was remembered like a JSON one
    turn = (await client.get(f"/v1/users/{user}/sessions/s1")).json()
    assert [m["content"] for m in turn["messages"]] == ["Tell me about the sea.", done["reply"]]


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"user": "-starts-with-a-dash"}, "user", "pattern"),
        ({"user": "has space"}, "user", "pattern"),
        ({"session": "a/b"}, "session", "pattern"),
        ({"message": ""}, "message", "at least 1 character"),
        ({"message": "   \n "}, "message", "the message is empty"),
        ({"message": "x" * 8001}, "message", "at most 8000 characters"),
        ({"stream": "sometimes"}, "stream", "boolean"),
    ],
)
async def test_bad_input_is_422_with_a_reason(client, change, field, reason):
    response = await client.post("/v1/chat", json={"user": "alice", "session": "s1", "message": "hi", **change})
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert [e["loc"] for e in errors] == [["body", field]] and reason in errors[0]["msg"]


async def test_missing_fields_are_422(client):
    response = await client.post("/v1/chat", json={"message": "hi"})
    assert response.status_code == 422
    assert {tuple(e["loc"]) for e in response.json()["detail"]} == {("body", "session")}
    # `user` may be left out with a user token only (test_access.py): here, as with an admin key, it is required
    response = await client.post("/v1/chat", json={"session": "s1", "message": "hi"})
    assert response.status_code == 422 and [tuple(e["loc"]) for e in response.json()["detail"]] == [("body", "user")]


async def test_oversized_body_is_413(client):
    response = await client.post("/v1/chat", content=b'{"message": "' + b"x" * 70_000 + b'"}')
    assert response.status_code == 413
