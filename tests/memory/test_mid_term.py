"""The mid-term tier: one protocol suite over every backend, then what only one backend can show.

The protocol tests run on SQLite (a file per test), on Firestore (the shared emulator that `make test`
started, under a project id of this test alone, wiped afterwards), and on the resilient adapter over
each, whose writes go through its outbox and flusher.
"""

import asyncio
import contextlib
import sqlite3
from datetime import UTC, datetime, timedelta

import psutil
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud.firestore_v1 import AsyncClient
from google.cloud.firestore_v1.services.firestore.async_client import FirestoreAsyncClient

from agent_lib.core import MemoryItem, Message, Role, Tier
from agent_lib.memory.base import MemoryBackendError, MemoryUnavailable, MidTermStore, to_us
from agent_lib.memory.firestore import (
    ClientPool,
    FirestoreMidTerm,
    PoolConfig,
    TunedAsyncClient,
    close_shared_pools,
    shared_pool,
)
from agent_lib.memory.resilient import ResilientMidTerm
from agent_lib.memory.sqlite import SCHEMA_VERSION, SQLiteMidTerm

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def msg(
    k: int, content: str = "", user: str = "ada", session: str = "s1", role: Role = Role.user, id: str | None = None
) -> Message:
    """A message `k` minutes after T0."""
    return Message(
        user=user,
        session=session,
        role=role,
        content=content or f"turn {k}",
        created_at=T0 + timedelta(minutes=k),
        **({"id": id} if id else {}),
    )


def fact(k: int, text: str, user: str = "ada", session: str | None = "s1", id: str | None = None, **kw) -> MemoryItem:
    """A mid-term fact `k` minutes after T0 (`kw`: more fields, e.g. sources, invalidated_at)."""
    return MemoryItem(
        user=user,
        session=session,
        tier=Tier.mid,
        kind="fact",
        text=text,
        created_at=T0 + timedelta(minutes=k),
        **({"id": id} if id else {}),
        **kw,
    )


def texts(messages) -> list[str]:
    return [m.content for m in messages]


@pytest.fixture(params=["sqlite", "firestore", "resilient(sqlite)", "resilient(firestore)"])
async def store(request, tmp_path):
    """A fresh, empty store of one backend."""
    if "firestore" in request.param:
        inner = FirestoreMidTerm(project=request.getfixturevalue("firestore_project"), timeout=10)
    else:
        inner = SQLiteMidTerm(tmp_path / "memory.sqlite3")
    store = (
        ResilientMidTerm(inner, tmp_path / "outbox.sqlite3", timeout=10)
        if request.param.startswith("resilient")
        else inner
    )
    yield store
    await store.aclose()
    await close_shared_pools()


# --- the protocol, on every backend -------------------------------------------------------------


async def test_is_a_mid_term_store(store):
    assert isinstance(store, MidTermStore)
    await store.ping()


async def test_turns_come_back_oldest_first_and_limit_keeps_the_newest(store):
    chat = [msg(k, role=Role.user if k % 2 else Role.assistant) for k in range(5)]
    await store.add_turns([chat[3], chat[0], chat[4]])
    await store.add_turns([chat[1], chat[2]])
    assert await store.turns("ada", "s1") == chat  # ids, roles, contents and times exactly
    assert await store.turns("ada", "s1", limit=2) == chat[3:]
    assert await store.turns("ada", "s1", limit=10) == chat
    assert await store.turns("ada", "s1", limit=0) == []
    assert await store.turns("ada", "never") == []


async def test_turns_in_the_same_microsecond_are_ordered_by_id(store):
    same = [msg(0, "second", id="b"), msg(0, "first", id="a")]
    await store.add_turns(same)
    assert texts(await store.turns("ada", "s1")) == ["first", "second"]


async def test_replayed_turns_are_stored_and_counted_once(store):
    chat, new = [msg(k) for k in range(3)], msg(3)
    await store.add_turns(chat)
    await store.add_turns(chat)  # the same write again (a retry after a lost acknowledgement)
    await store.add_turns([*chat[1:], new])  # a partial replay bringing one new turn
    await store.add_turns([chat[0], chat[0]])  # a duplicate within one call
    assert await store.turns("ada", "s1") == [*chat, new]
    assert (await store.session("ada", "s1")).turns == 4
    assert [i.turns for i in await store.sessions("ada")] == [4]


async def test_sessions_know_their_span_and_count_most_recent_first(store):
    await store.add_turns([msg(0, session="s1"), msg(5, session="s1")])
    await store.add_turns([msg(2, session="s2")])
    await store.add_turns([msg(9, session="s3"), msg(1, session="s3")])
    await store.set_summary("ada", "s4", "A session summarised before any turn.", upto=T0)
    infos = await store.sessions("ada")
    assert [i.session for i in infos] == ["s3", "s1", "s2", "s4"]  # by last activity; no turns last
    s1 = await store.session("ada", "s1")
    assert (s1.user, s1.turns, s1.started_at, s1.last_at) == ("ada", 2, T0, T0 + timedelta(minutes=5))
    assert [i.turns for i in infos] == [2, 2, 1, 0]
    assert (infos[3].started_at, infos[3].last_at) == (None, None)
    assert await store.session("ada", "never") is None
    assert await store.sessions("nobody") == []


async def test_summary_is_replaced_and_covers_up_to(store):
    await store.add_turns([msg(k) for k in range(4)])
    await store.set_summary("ada", "s1", "Ada said hello.", upto=T0 + timedelta(minutes=1))
    await store.set_summary("ada", "s1", "Ada said hello, then asked for tea 🍵.", upto=T0 + timedelta(minutes=3))
    info = await store.session("ada", "s1")
    assert (info.summary, info.summarised_upto, info.turns) == (
        "Ada said hello, then asked for tea 🍵.",
        T0 + timedelta(minutes=3),
        4,
    )
    assert (await store.session("ada", "s1")).last_at == T0 + timedelta(minutes=3)  # a summary is not activity


async def test_facts_per_session_and_per_user_newest_first(store):
    tea, tuesday, handed = (
        fact(1, "Ada takes tea with lemon."),
        fact(3, "Ada works on Tuesdays.", session="s2"),
        fact(2, "Ada is left-handed.", session=None),
    )
    await store.add_facts([tea, tuesday, handed])
    assert await store.facts("ada") == [tuesday, handed, tea]
    assert await store.facts("ada", "s1") == [tea]
    assert await store.facts("ada", "never") == []
    restated = tea.model_copy(update={"text": "Ada takes green tea with lemon."})
    await store.add_facts([restated])  # same id: replaces
    assert await store.facts("ada", "s1") == [restated]
    assert len(await store.facts("ada")) == 3
    with pytest.raises(ValueError, match="only mid-term facts"):
        await store.add_facts([MemoryItem(user="ada", tier=Tier.long, kind="fact", text="not mid-term")])


async def test_facts_keep_their_sources_and_a_superseded_fact_is_kept_marked(store):
    lisbon = fact(1, "Ada lives in Lisbon.", id="f-city", sources=["m1", "m2"])
    tea = fact(2, "Ada takes tea with lemon.", sources=["m3"])
    await store.add_facts([lisbon, tea])
    assert await store.facts("ada") == [tea, lisbon]  # sources round-trip, in order
    oslo = fact(90, "Ada moved to Oslo.", session="s2", sources=["m9"])
    superseded = lisbon.model_copy(update={"invalidated_at": oslo.created_at})
    await store.add_facts([oslo, superseded])  # supersede: write the old fact again with invalidated_at
    assert await store.facts("ada") == [oslo, tea, superseded]  # kept, text and sources included, now marked
    assert (await store.facts("ada", "s1"))[1].invalidated_at == T0 + timedelta(minutes=90)
    await store.add_facts([lisbon])  # the last write of an id wins, for these fields too
    assert (await store.facts("ada"))[2] == lisbon and lisbon.invalidated_at is None


async def test_delete_session_erases_its_turns_summary_and_facts_only(store):
    await store.add_turns([msg(0, session="s1"), msg(1, session="s1"), msg(2, session="s2")])
    await store.set_summary("ada", "s1", "gone soon", upto=T0)
    kept = [fact(3, "from s2", session="s2"), fact(2, "from no session", session=None)]
    await store.add_facts([fact(1, "from s1"), *kept])
    await store.delete_session("ada", "s1")
    assert await store.session("ada", "s1") is None
    assert await store.turns("ada", "s1") == []
    assert await store.facts("ada", "s1") == []
    assert await store.facts("ada") == kept
    assert [i.session for i in await store.sessions("ada")] == ["s2"]
    assert texts(await store.turns("ada", "s2")) == ["turn 2"]
    await store.delete_session("ada", "s1")  # erasing again is harmless


async def test_delete_user_erases_everything_of_that_user_only(store):
    for user in ("ada", "bob"):
        await store.add_turns([msg(0, user=user), msg(1, user=user, session="s2")])
        await store.set_summary(user, "s1", f"{user}'s summary", upto=T0)
        await store.add_facts([fact(0, f"{user}'s fact", user=user), fact(1, "no session", user=user, session=None)])
    await store.delete_user("ada")
    assert (await store.sessions("ada"), await store.facts("ada"), await store.turns("ada", "s1")) == ([], [], [])
    assert [i.session for i in await store.sessions("bob")] == ["s2", "s1"]
    assert len(await store.facts("bob")) == 2
    assert (await store.session("bob", "s1")).summary == "bob's summary"


async def test_tenants_are_isolated_even_with_the_same_ids(store):
    # Same session id, same message id, same fact id: still two users' separate records.
    await store.add_turns([msg(0, "Ada's words", user="ada", id="m1"), msg(0, "Bob's words", user="bob", id="m1")])
    await store.add_facts([fact(0, "Ada's fact", user="ada", id="f1"), fact(0, "Bob's fact", user="bob", id="f1")])
    assert texts(await store.turns("ada", "s1")) == ["Ada's words"]
    assert texts(await store.turns("bob", "s1")) == ["Bob's words"]
    assert [f.text for f in await store.facts("bob", "s1")] == ["Bob's fact"]
    assert (await store.session("ada", "s1")).turns == 1
    await store.delete_session("ada", "s1")
    assert texts(await store.turns("bob", "s1")) == ["Bob's words"]
    assert [f.text for f in await store.facts("bob")] == ["Bob's fact"]


@pytest.mark.parametrize("bad", ["ada/sessions/s1", "../bob", "", "a b", "bob:s1"])
async def test_ids_that_could_escape_a_users_records_are_refused(store, bad):
    with pytest.raises(ValueError, match="invalid id"):
        await store.turns(bad, "s1")
    with pytest.raises(ValueError, match="invalid id"):
        await store.turns("ada", bad)
    with pytest.raises(ValueError, match="invalid id"):
        await store.facts(bad)
    with pytest.raises(ValueError, match="invalid id"):
        await store.delete_user(bad)


async def test_unicode_round_trips(store):
    contents = [
        "Ünïcödé ☕🍋 — «quotes» \"double\" 'single'",
        "日本語のテキスト",
        "مرحبا بالعالم",
        "e\u0301 (combining)",
        "line one\nline two\ttab",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and 👩🏽‍💻",  # noqa: RUF001 (look-alike letters, on purpose)
        "x" * 50_000,
    ]
    sent = [msg(k, c) for k, c in enumerate(contents)]
    await store.add_turns(sent)
    await store.set_summary("ada", "s1", "résumé 📝", upto=T0)
    await store.add_facts([fact(0, "Ada mag Käsespätzle 🧀")])
    assert await store.turns("ada", "s1") == sent
    assert (await store.session("ada", "s1")).summary == "résumé 📝"
    assert (await store.facts("ada"))[0].text == "Ada mag Käsespätzle 🧀"


# --- SQLite only --------------------------------------------------------------------------------


async def test_sqlite_creates_its_schema_on_first_use_in_wal_mode_and_keeps_data(tmp_path):
    path = tmp_path / "new" / "memory.sqlite3"
    async with SQLiteMidTerm(path) as store:
        assert not path.exists()  # nothing until the first call
        await store.add_turns([msg(0)])
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    async with SQLiteMidTerm(path) as again:
        assert texts(await again.turns("ada", "s1")) == ["turn 0"]


V1_FACTS = """CREATE TABLE facts (
  user TEXT NOT NULL, id TEXT NOT NULL, session TEXT,
  text TEXT NOT NULL, created_us INTEGER NOT NULL,
  PRIMARY KEY (user, id)
) WITHOUT ROWID;
PRAGMA user_version = 1;"""  # the facts table as schema version 1 created it


async def test_sqlite_migrates_a_version_1_file_in_place(tmp_path):
    path = tmp_path / "memory.sqlite3"
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as old:
        old.executescript(V1_FACTS)
        old.execute("INSERT INTO facts VALUES ('ada', 'f1', 's1', 'Ada takes tea.', ?)", (to_us(T0),))
    async with SQLiteMidTerm(path) as store:
        (kept,) = await store.facts("ada")
        assert (kept.id, kept.text, kept.created_at, kept.sources, kept.invalidated_at) == (
            "f1",
            "Ada takes tea.",
            T0,
            [],
            None,
        )
        new = fact(5, "Ada moved to Oslo.", sources=["m5"], invalidated_at=T0 + timedelta(days=1))
        await store.add_facts([new, kept.model_copy(update={"sources": ["m0"]})])
        assert await store.facts("ada") == [new, kept.model_copy(update={"sources": ["m0"]})]
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
        assert [r[1] for r in db.execute("PRAGMA table_info(facts)")][-2:] == ["sources", "invalidated_us"]
    async with SQLiteMidTerm(path) as again:  # a current file is opened as it is
        assert len(await again.facts("ada")) == 2


async def test_sqlite_refuses_a_file_of_a_newer_schema(tmp_path):
    path = tmp_path / "memory.sqlite3"
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as newer:
        newer.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(MemoryBackendError, match="newer than this code"):
        await SQLiteMidTerm(path).ping()


async def test_sqlite_locked_by_another_process_is_unavailable_not_an_error(tmp_path):
    path = tmp_path / "memory.sqlite3"
    async with SQLiteMidTerm(path) as store:
        await store.ping()
    other = sqlite3.connect(path, isolation_level=None)  # another writer holding the write lock
    other.execute("BEGIN IMMEDIATE")
    try:
        async with SQLiteMidTerm(path, busy_timeout_ms=100) as store:
            with pytest.raises(MemoryUnavailable, match="locked"):
                await store.add_turns([msg(0)])
    finally:
        other.execute("ROLLBACK")
        other.close()


# --- Firestore only -----------------------------------------------------------------------------


async def test_firestore_layout_and_the_turn_counter_matches_the_documents(firestore_project):
    sent = [msg(k, id=f"m{k}") for k in range(5)]
    async with FirestoreMidTerm(project=firestore_project, shared=False) as store:
        # Five writers replaying overlapping batches at once: no transaction, yet each turn counted once.
        await asyncio.gather(*(store.add_turns(sent[i:] + sent[:i]) for i in range(5)))
        await store.add_facts([fact(0, "a fact", id="f1")])
        c = store._client()
        turns = c.collection("users").document("ada").collection("sessions").document("s1").collection("turns")
        assert sorted([d.id async for d in turns.stream()]) == [m.id for m in sent]
        assert (await turns.count().get())[0][0].value == 5
        assert (await c.document("users/ada/sessions/s1").get()).get("turns") == 5
        assert (await c.document("users/ada/facts/f1").get()).to_dict() == {
            "text": "a fact",
            "session": "s1",
            "created_at": T0,
            "sources": [],
            "invalidated_at": None,
        }
        assert (await store.session("ada", "s1")).turns == 5


async def test_firestore_pool_is_shared_per_process_and_closed_only_by_its_owner(firestore_project):
    a, b = FirestoreMidTerm(project=firestore_project), FirestoreMidTerm(project=firestore_project)
    await a.ping(), await b.ping()
    assert a._pool is b._pool is shared_pool(firestore_project)
    await a.aclose()
    await b.ping()  # a store does not close the shared pool
    given = TunedAsyncClient(firestore_project)
    async with FirestoreMidTerm(given) as store:
        await store.ping()
    await given.collection("users").document("_ping").get()  # nor a client it was given
    await given.aclose()
    own = FirestoreMidTerm(project=firestore_project, shared=False)
    await own.ping()
    client = own._pool.clients[0]
    await own.aclose()  # but it closes its own
    assert client._channel is None
    await close_shared_pools()
    assert shared_pool(firestore_project) is not a._pool  # closed pools are forgotten; a new one is made
    await close_shared_pools()


async def test_firestore_pool_channels_are_separate_connections(firestore_project, firestore_emulator):
    port = int(firestore_emulator.rsplit(":", 1)[1])

    def connections() -> set:
        return {
            c.laddr
            for c in psutil.Process().net_connections("tcp")
            if c.raddr and c.raddr.port == port and c.status == "ESTABLISHED"
        }

    for channels in (1, 3):
        before = connections()
        pool = ClientPool.create(firestore_project, None, firestore_emulator, PoolConfig(channels=channels))
        store = FirestoreMidTerm(pool)
        for _ in range(channels * 2):
            await store.ping()  # round robin over the pool
        assert len(connections() - before) == channels
        await pool.aclose()


async def test_firestore_production_channel_contract(monkeypatch):
    """Contract (no GCP here): without an emulator, the SDK's TLS channel to Firestore, built with our options."""
    monkeypatch.delenv("FIRESTORE_EMULATOR_HOST", raising=False)
    client = TunedAsyncClient(
        "some-project", credentials=AnonymousCredentials(), options=PoolConfig(channels=2).options()
    )
    api = client._firestore_api
    assert isinstance(api, FirestoreAsyncClient)
    assert api.transport.grpc_channel is client._channel
    assert client._target == "firestore.googleapis.com"
    assert isinstance(client, AsyncClient) and client._emulator_host is None
    await client.aclose()
