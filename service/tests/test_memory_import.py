"""POST /v1/users/{user}/memories (memory added without chatting) and the search filters of GET .../memories.

The route's mapping onto the memory manager is pinned in-process against a recording double (no lifespan, no
model); everything else runs over real HTTP against the live service of conftest.py (embedded defaults).
"""

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest

from agent_lib.core import MemoryKind, Role
from app.api.deps import get_agent
from app.core.config import settings
from app.main import app

SEARCHABLE_WITHIN_S = 1.0  # the promise: an acknowledged write is searchable from any session within 1 s


def reason(response: httpx.Response) -> str:
    """The 422's reason as text (FastAPI's list of errors, or a string)."""
    return json.dumps(response.json()["detail"])


async def search(client, user, q, **params) -> list[dict]:
    response = await client.get(f"/v1/users/{user}/memories", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return response.json()


async def found_within(client, user, q, wanted: str, deadline: float, **params) -> list[dict]:
    """Search until `wanted` is among the results; every attempt starts before `deadline` (its answer may come later:
    speed is not what is asserted, how soon the item is searchable is)."""
    while True:
        assert time.monotonic() <= deadline, f"{wanted} not found by {q!r} in time"
        items = await search(client, user, q, **params)
        if wanted in {i["id"] for i in items}:
            return items
        await asyncio.sleep(0.05)


# --- the route's mapping onto the memory manager, in-process


class RecordingMemory:
    """Stands in for `agent.memory`: records the calls, returns ids made from what it got. Proves the route's
    translation only, not storage or search (the live tests below do)."""

    def __init__(self):
        self.calls: list[tuple] = []

    async def import_messages(self, messages):
        self.calls.append(("import_messages", list(messages)))
        return [f"m{i}" for i, _ in enumerate(messages)]

    async def import_facts(self, user, texts, session=None, created_at=None):
        self.calls.append(("import_facts", user, list(texts), session, created_at))
        return [f"{session}/{created_at and created_at.isoformat()}/{t}" for t in texts]

    async def search(self, user, query, k=10, filter=None):
        self.calls.append(("search", user, query, k, filter))
        return []

    async def memories(self, user, query=None, k=20, filter=None):
        self.calls.append(("memories", user, filter))
        return []


@pytest.fixture
async def recorded():
    memory = RecordingMemory()
    app.dependency_overrides[get_agent] = lambda: SimpleNamespace(memory=memory)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as c:
            yield c, memory
    finally:
        app.dependency_overrides.pop(get_agent, None)


async def test_import_maps_onto_the_manager(recorded):
    client, memory = recorded
    body = {
        "session": "dflt",
        "messages": [
            {"role": "user", "content": "I moved to Porto.", "created_at": "2025-01-02T03:04:05"},  # no zone: UTC
            {"role": "assistant", "content": "Noted.", "session": "other", "created_at": "2025-01-02T04:04:05+01:00"},
        ],
        "facts": [
            {"text": "f1"},
            {"text": "f2", "session": "s2", "created_at": "2024-05-01T00:00:00Z"},
            {"text": "f3"},
        ],
    }
    response = await client.post("/v1/users/alice/memories", json=body)
    assert response.status_code == 201, response.text
    (_, messages), *facts = memory.calls
    assert [(m.user, m.session, m.role, m.content) for m in messages] == [
        ("alice", "dflt", Role.user, "I moved to Porto."),
        ("alice", "other", Role.assistant, "Noted."),
    ]
    assert [m.created_at for m in messages] == [datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)] * 2
    # one call per (session, time); the ids come back in the request's order
    may = datetime(2024, 5, 1, tzinfo=UTC)
    assert facts == [
        ("import_facts", "alice", ["f1", "f3"], "dflt", None),
        ("import_facts", "alice", ["f2"], "s2", may),
    ]
    assert response.json() == {
        "messages": ["m0", "m1"],
        "facts": ["dflt/None/f1", f"s2/{may.isoformat()}/f2", "dflt/None/f3"],
    }


async def test_facts_alone_need_no_session_and_a_repeated_fact_is_one(recorded):
    client, memory = recorded
    fact = {"text": "Bob is left-handed."}
    response = await client.post("/v1/users/bob/memories", json={"facts": [fact, fact]})
    assert response.status_code == 201 and response.json() == {
        "messages": [],
        "facts": ["None/None/" + fact["text"]] * 2,
    }
    assert memory.calls == [("import_facts", "bob", [fact["text"]], None, None)]


async def test_search_parameters_become_a_filter(recorded):
    client, memory = recorded
    params = [("q", "tea"), ("k", "3"), ("session", "s1"), ("kind", "turn"), ("kind", "fact")]
    params += [("since", "2025-01-01T00:00:00"), ("until", "2025-02-01T01:00:00+01:00"), ("valid_only", "true")]
    assert (await client.get("/v1/users/alice/memories", params=params)).status_code == 200
    ((_, user, q, k, where),) = memory.calls
    assert (user, q, k) == ("alice", "tea", 3)
    assert where.session == "s1" and where.kinds == [MemoryKind.turn, MemoryKind.fact] and where.valid_only
    assert (where.since, where.until) == (datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 2, 1, tzinfo=UTC))
    memory.calls.clear()
    await client.get("/v1/users/alice/memories", params={"q": "tea"})
    assert memory.calls == [("search", "alice", "tea", 20, None)]  # no filter given: none passed
    memory.calls.clear()
    await client.get("/v1/users/alice/memories", params={"q": "  "})
    assert memory.calls == [("memories", "alice", None)]  # a blank query lists


async def test_the_managers_input_errors_are_422(recorded):
    client, memory = recorded

    async def refuse(*_, **__):
        raise ValueError("too much at once")

    memory.import_facts = refuse
    response = await client.post("/v1/users/alice/memories", json={"facts": [{"text": "x"}]})
    assert response.status_code == 422 and "too much at once" in reason(response)


# --- bad input, over HTTP: 422 with the reason, never a 5xx

LONG = "a" * (settings.service_max_message_chars + 1)
FUTURE = (datetime.now(UTC) + timedelta(days=1)).isoformat()
msg = lambda **kw: {"role": "user", "content": "hello", **kw}  # noqa: E731


@pytest.mark.parametrize(
    "body,why",
    [
        ({}, "nothing to import"),
        ({"messages": [], "facts": []}, "nothing to import"),
        ({"facts": [{"text": "x"}] * (settings.service_max_import_items + 1)}, "at most"),
        ({"session": "s", "messages": [msg()] * 300, "facts": [{"text": "x"}] * 300}, "at most"),
        ({"session": "s", "messages": [msg(content=LONG)]}, "at most"),
        ({"facts": [{"text": LONG}]}, "at most"),
        ({"session": "s", "messages": [msg(content="   ")]}, "empty"),
        ({"session": "s", "messages": [msg(role="system")]}, "role"),
        ({"session": "s", "messages": [{"content": "no role"}]}, "role"),
        ({"session": "s", "messages": [msg(created_at="yesterday")]}, "created_at"),
        ({"session": "s", "messages": [msg(created_at=FUTURE)]}, "in the future"),
        ({"facts": [{"text": "x", "created_at": FUTURE}]}, "in the future"),
        ({"session": "s", "messages": [msg(created_at="0001-01-01T00:00:00+05:00")]}, "out of range"),
        ({"session": "-bad", "messages": [msg()]}, "session"),
        ({"messages": [msg(session="a b")]}, "session"),
        ({"facts": [{"text": "x", "session": "x" * 200}]}, "session"),
        ({"messages": [msg(session="s1"), msg()]}, "have no session"),
        ({"session": "s", "user": "someone-else", "messages": [msg()]}, "user"),  # the path names the owner
        ({"session": "s", "messages": "hello"}, "messages"),
    ],
)
async def test_bad_imports_are_422_with_the_reason(client, user, body, why):
    response = await client.post(f"/v1/users/{user}/memories", json=body)
    assert response.status_code == 422, response.text
    assert why in reason(response), reason(response)
    assert (await client.get(f"/v1/users/{user}/sessions")).json() == []  # nothing half-imported


@pytest.mark.parametrize(
    "params,why",
    [
        ({"since": "2025-02-01T00:00:00Z", "until": "2025-01-01T00:00:00Z"}, "must be before"),
        ({"since": "2025-01-01T00:00:00Z", "until": "2025-01-01T00:00:00Z"}, "must be before"),
        ({"since": "2025-01-01T01:00:00+01:00", "until": "2025-01-01T00:00:00"}, "must be before"),  # same instant
        ({"since": "soon"}, "since"),
        ({"until": "0001-01-01T00:00:00+05:00"}, "out of range"),
        ({"kind": "episode"}, "kind"),
        ({"session": "-s"}, "session"),
        ({"valid_only": "maybe"}, "valid_only"),
    ],
)
@pytest.mark.parametrize("q", [None, "anything"])
async def test_bad_filters_are_422_with_the_reason(client, user, params, why, q):
    response = await client.get(f"/v1/users/{user}/memories", params={**params, **({"q": q} if q else {})})
    assert response.status_code == 422, response.text
    assert why in reason(response), reason(response)


# --- import, then search: from another session at once, filtered, per user


async def test_imported_turns_are_kept_as_sessions(client, user):
    body = {
        "session": "old-chat",
        "messages": [
            {"role": "user", "content": "My allotment is plot 17.", "created_at": "2024-03-01T10:00:00Z"},
            {"role": "assistant", "content": "Plot 17, noted.", "created_at": "2024-03-01T10:00:05Z"},
        ],
    }
    response = await client.post(f"/v1/users/{user}/memories", json=body)
    assert response.status_code == 201, response.text
    ids = response.json()["messages"]
    assert len(ids) == 2 and response.json()["facts"] == []
    detail = (await client.get(f"/v1/users/{user}/sessions/old-chat")).json()
    assert [(m["id"], m["role"], m["content"]) for m in detail["messages"]] == [
        (ids[0], "user", "My allotment is plot 17."),
        (ids[1], "assistant", "Plot 17, noted."),
    ]
    assert detail["started_at"].startswith("2024-03-01T10:00:00") and detail["turns"] == 2


async def test_an_import_is_searchable_at_once_and_only_by_its_owner(client, user):
    other = f"{user}-other"
    fact = "The code for my storage locker is Kelivo42."
    mine = await client.post(f"/v1/users/{user}/memories", json={"session": "a", "messages": [msg(content=fact)]})
    deadline = time.monotonic() + SEARCHABLE_WITHIN_S
    assert mine.status_code == 201, mine.text
    (wanted,) = mine.json()["messages"]
    found = await found_within(client, user, "remind me of the locker code", wanted, deadline)
    hit = next(i for i in found if i["id"] == wanted)
    assert (hit["kind"], hit["role"], hit["session"], hit["text"], hit["sources"]) == (
        "turn",
        "user",
        "a",
        fact,
        [wanted],
    )
    assert hit["tier"] == "long" and isinstance(hit["score"], float) and hit["invalidated_at"] is None
    theirs = await client.post(f"/v1/users/{other}/memories", json={"session": "a", "facts": [{"text": fact}]})
    assert theirs.status_code == 201
    assert not {i["id"] for i in await search(client, user, "locker code", k=100)} & set(theirs.json()["facts"])
    assert wanted not in {i["id"] for i in await search(client, other, "locker code", k=100)}


@pytest.fixture
async def planted(client, user):
    """A user with turns in two sessions a year apart, a fact of one session and a fact of none."""
    turn = lambda role, content, session, at: {"role": role, "content": content, "session": session, "created_at": at}  # noqa: E731
    body = {
        "messages": [
            turn("user", "I adopted a greyhound named Comet.", "s-old", "2024-03-01T09:00:00Z"),
            turn("assistant", "Comet the greyhound, lovely.", "s-old", "2024-03-01T09:00:01Z"),
            turn("user", "Comet the greyhound turned three today.", "s-new", "2025-06-01T09:00:00Z"),
        ],
        "facts": [
            {
                "text": "Comet the greyhound eats salmon kibble.",
                "session": "s-new",
                "created_at": "2025-06-02T00:00:00Z",
            },
            {"text": "The user owns a greyhound.", "created_at": "2025-07-01T00:00:00Z"},
        ],
    }
    response = await client.post(f"/v1/users/{user}/memories", json=body)
    assert response.status_code == 201, response.text
    ids = response.json()
    return SimpleNamespace(user=user, old=ids["messages"][:2], new=ids["messages"][2], facts=ids["facts"])


async def test_search_filters(client, planted):
    p, q = planted, "Comet the greyhound"
    everything = {i["id"] for i in await search(client, p.user, q, k=50)}
    assert everything == {p.old[0], p.new, *p.facts}  # the old exchange is one item, under its user message's id

    only_old = await search(client, p.user, q, session="s-old")
    assert [(i["id"], i["sources"], i["session"]) for i in only_old] == [(p.old[0], p.old, "s-old")]

    facts = await search(client, p.user, q, kind="fact")
    assert {i["id"] for i in facts} == set(p.facts) and {i["kind"] for i in facts} == {"fact"}
    turns_and_facts = await search(client, p.user, q, kind=["turn", "fact"], k=50)
    assert {i["kind"] for i in turns_and_facts} <= {"turn", "fact"} and len(turns_and_facts) == 4

    since = await search(client, p.user, q, since="2025-01-01T00:00:00Z")
    assert {i["id"] for i in since} == {p.new, *p.facts}
    until = await search(client, p.user, q, until="2025-01-01T00:00:00")  # no zone: UTC
    assert {i["id"] for i in until} == {p.old[0]}
    window = await search(client, p.user, q, since="2025-06-01T09:00:00Z", until="2025-06-02T00:00:00Z")
    assert [i["id"] for i in window] == [p.new]  # since is inclusive, until exclusive
    assert [i["created_at"][:19] for i in window] == ["2025-06-01T09:00:00"]  # the imported time is kept

    valid = await search(client, p.user, q, valid_only="true", k=50)
    assert {i["id"] for i in valid} == everything and all(i["invalidated_at"] is None for i in valid)
    assert await search(client, p.user, q, session="s-none") == []


async def test_listing_filters(client, planted):
    """Without `q` the listing holds facts and summaries (turns are under /sessions); the filters apply to it."""
    p = planted
    listed = lambda **params: client.get(f"/v1/users/{p.user}/memories", params=params)  # noqa: E731
    everything = (await listed()).json()
    assert {i["id"] for i in everything} == set(p.facts) and {i["tier"] for i in everything} == {"mid"}
    assert [i["id"] for i in (await listed(session="s-new")).json()] == [p.facts[0]]
    assert [i["id"] for i in (await listed(since="2025-06-15T00:00:00Z")).json()] == [p.facts[1]]
    assert (await listed(kind="summary")).json() == [] and (await listed(kind="turn")).json() == []
