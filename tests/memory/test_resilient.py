"""The resilient mid-term adapter against a Firestore emulator that these tests stop and start.

The emulator (`private_firestore`) keeps its data in memory, so after a restart it is empty: whatever is
in it afterwards was delivered by the adapter after the restart. Waits are bounded polls, never timing
assertions.
"""

import asyncio
import json
import logging
import socket
from datetime import UTC, datetime, timedelta

import pytest
from google.cloud.firestore_v1 import AsyncClient

from agent_lib.core import MemoryItem, Message, Tier
from agent_lib.memory.base import MemoryUnavailable
from agent_lib.memory.firestore import FirestoreMidTerm, PoolConfig
from agent_lib.memory.outbox import RedisOutbox, SQLiteOutbox
from agent_lib.memory.resilient import PartialRead, ResilientMidTerm

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def msg(k: int, content: str = "", user: str = "ada", session: str = "s1", id: str | None = None) -> Message:
    return Message(
        user=user,
        session=session,
        role="user",
        content=content or f"turn {k}",
        created_at=T0 + timedelta(seconds=k),
        **({"id": id} if id else {}),
    )


def texts(messages) -> list[str]:
    return [m.content for m in messages]


def dead_address() -> str:
    """host:port where nothing listens: a backend that is down, without stopping the emulator."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


async def acknowledged_while_down(adapter, outbox: str, *writes: list[Message]) -> None:
    """Leave `writes` (`add_turns` calls) acknowledged, undelivered in `outbox`, as a process that lost its backend."""
    gone = adapter(outbox, host=dead_address(), fail_max=1)
    for messages in writes:
        await gone.add_turns(messages)
    await gone.aclose()


async def until(check, what: str, limit_s: float = 60.0) -> None:
    """Poll `check()` until it is true; fail (not by timing, by never happening) after `limit_s`."""
    for _ in range(int(limit_s / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"{what}: did not happen within {limit_s}s")


@pytest.fixture
def emulator(private_firestore):
    """The private emulator, running (started again if a test left it stopped)."""
    if not private_firestore.running:
        private_firestore.start()
    return private_firestore


@pytest.fixture
async def adapter(emulator, namespace, tmp_path):
    """A factory of resilient adapters over Firestore on the private emulator, tuned to notice changes fast."""
    made = []

    def make(outbox: str = "outbox.sqlite3", host: str | None = None, **kwargs) -> ResilientMidTerm:
        inner = FirestoreMidTerm(
            project=namespace,
            emulator_host=host or emulator.host,
            shared=False,
            timeout=2,
            pool=PoolConfig(initial_reconnect_backoff_ms=100, max_reconnect_backoff_ms=500),
        )
        settings = dict(timeout=3, fail_max=3, reset_timeout=0.5, backoff_initial=0.05, backoff_max=0.5) | kwargs
        box = SQLiteOutbox(tmp_path / outbox, durable=True)  # a lasting disk: writes are acknowledged in the outbox
        made.append(ResilientMidTerm(inner, box, **settings))
        return made[-1]

    yield make
    for r in made:
        await r.aclose()  # idempotent: also closes what a failed test left open


async def stored_turns(emulator, project: str, user: str, session: str, monkeypatch) -> tuple[list[str], int, int]:
    """(document ids, count() of documents, the session's stored counter), read with a fresh SDK client."""
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", emulator.host)
    client = AsyncClient(project=project)
    session_doc = client.collection("users").document(user).collection("sessions").document(session)
    ids = [d.id async for d in session_doc.collection("turns").stream()]
    count = (await session_doc.collection("turns").count().get())[0][0].value
    snap = await session_doc.get()
    await client._firestore_api.transport.close()  # the SDK's AsyncClient has no close(); its GAPIC transport does
    return sorted(ids), count, snap.get("turns") if snap.exists else 0


async def test_outage_100_acknowledged_turns_arrive_exactly_once(adapter, emulator, namespace, monkeypatch):
    r = adapter()
    await r.ping()  # connected, circuit closed
    assert r.breaker_state == "closed"
    emulator.stop()
    sent = [msg(k) for k in range(100)]
    for m in sent:
        await r.add_turns([m])  # each one acknowledged while Firestore is down
    await until(lambda: r.breaker_state == "open", "the circuit opens while Firestore is down")
    with pytest.raises(PartialRead) as down:  # read-your-writes while down: the outbox's part of the answer
        await r.turns("ada", "s1")
    assert down.value.partial == sent
    assert r.pending == 100

    emulator.start()  # same port, empty
    await r.flush(timeout=60)
    assert r.pending == 0
    assert r.breaker_state == "closed"
    ids, count, counter = await stored_turns(emulator, namespace, "ada", "s1", monkeypatch)
    assert (ids, count, counter) == (sorted(m.id for m in sent), 100, 100)  # all of them, exactly once
    assert await r.turns("ada", "s1") == sent
    assert r.dead == 0
    await r.aclose()


async def test_a_refused_write_is_not_retried_and_goes_to_the_dead_letters(adapter, caplog):
    r = adapter()
    caplog.set_level(logging.ERROR, logger="agent_lib.memory.resilient")
    bad = Message(
        id="__bad__", user="ada", session="s1", role="user", content="Firestore reserves this id", created_at=T0
    )
    for m in [msg(1, "before"), bad, msg(2, "after")]:
        await r.add_turns([m])
    await r.add_facts(
        [MemoryItem(id="__bad__", user="ada", session="s1", tier=Tier.mid, kind="fact", text="reserved id")]
    )
    await r.flush(timeout=60)
    letters = await r.dead_letters()
    assert [(d.op, json.loads(d.payload)[0]["id"]) for d in letters] == [
        ("turns", "__bad__"),
        ("facts", "__bad__"),
    ]
    assert all("InvalidArgument" in d.error for d in letters)
    assert (r.retries, r.dead, r.breaker_state) == (0, 2, "closed")  # not retried; not counted as an outage
    assert texts(await r.inner.turns("ada", "s1")) == ["before", "after"]  # the good writes around it are stored
    assert texts(await r.turns("ada", "s1")) == ["Firestore reserves this id", "before", "after"]  # refused: still hers
    assert sum("dead letters" in rec.getMessage() for rec in caplog.records) == 2
    await r.aclose()


async def test_a_restarted_adapter_replays_what_an_earlier_one_acknowledged(adapter, emulator, namespace, monkeypatch):
    first = adapter("restart.sqlite3")
    emulator.stop()
    sent = [msg(k) for k in range(10)]
    for m in sent:
        await first.add_turns([m])
    await first.add_facts(
        [MemoryItem(id="f1", user="ada", session="s1", tier=Tier.mid, kind="fact", text="Ada likes tea.")]
    )
    await first.set_summary("ada", "s1", "Ten turns.", upto=sent[-1].created_at)
    assert first.pending == 12
    await first.aclose()  # the process ends with twelve acknowledged writes not delivered

    emulator.start()
    second = adapter("restart.sqlite3")
    await second.open()
    assert second.pending == 12
    await second.flush(timeout=60)
    ids, count, counter = await stored_turns(emulator, namespace, "ada", "s1", monkeypatch)
    assert (ids, count, counter) == (sorted(m.id for m in sent), 10, 10)
    info = await second.session("ada", "s1")
    assert (info.summary, info.summarised_upto) == ("Ten turns.", sent[-1].created_at)
    assert [f.text for f in await second.facts("ada")] == ["Ada likes tea."]
    await second.aclose()


async def test_erasing_while_down_drops_pending_writes_so_they_are_never_replayed(adapter, emulator):
    r = adapter(read_attempts=1)
    emulator.stop()
    await r.add_turns([msg(0, "keep", session="s2"), msg(1, "forget", session="s1")])
    await r.add_turns([msg(2, "Eve's words", user="eve")])
    with pytest.raises(MemoryUnavailable):
        await r.delete_session("ada", "s1")  # the backend cannot confirm the erase...
    with pytest.raises(MemoryUnavailable):
        await r.delete_user("eve")
    assert r.pending == 1  # ...but the erased owners' pending writes are gone already

    emulator.start()
    await r.flush(timeout=60)
    await r.delete_session("ada", "s1")  # the caller retries the erase once the backend is back
    await r.delete_user("eve")
    assert await r.session("ada", "s1") is None
    assert texts(await r.turns("ada", "s2")) == ["keep"]
    assert await r.sessions("eve") == []
    assert await r.inner.turns("ada", "s1") == []  # never delivered, not merely hidden
    await r.aclose()


async def test_an_erase_wins_over_the_replay_of_the_erased_users_pending_writes(adapter):
    await acknowledged_while_down(
        adapter, "erase.sqlite3", [msg(k, user="eve") for k in range(5)] + [msg(0, "Bob's", user="bob")]
    )
    r = adapter("erase.sqlite3")
    await r.delete_user("eve")  # first thing after the restart: before the flusher could deliver Eve's writes
    await r.flush(timeout=60)
    assert await r.inner.sessions("eve") == []  # erased, and not replayed back afterwards
    assert texts(await r.inner.turns("bob", "s1")) == ["Bob's"]


async def test_a_read_delivers_the_readers_pending_writes_first(adapter):
    sent = [msg(k) for k in range(3)]
    backlog = [[msg(k, user="bob")] for k in range(40)]  # others' writes queued before Ada's
    await acknowledged_while_down(adapter, "read.sqlite3", *backlog, sent)
    r = adapter("read.sqlite3", batch=1)
    await r.inner.add_turns(sent)  # Ada's writes are stored already too: their confirmation was lost, say
    info = await r.session("ada", "s1")  # pushes the outbox up to Ada's writes (idempotent), then reads: exact
    assert info.turns == 3  # merging instead would count her three pending copies again
    assert await r.turns("ada", "s1") == sent


async def test_fact_provenance_survives_the_outbox_and_the_read_your_writes_merge(adapter, emulator):
    """Sources and invalidated_at travel whole through the outbox: in a read while down, and once delivered."""
    r = adapter(read_attempts=1)

    def fact(id: str, text: str, days: int, sources: list[str]) -> MemoryItem:
        created = T0 + timedelta(days=days)
        return MemoryItem(
            id=id, user="ada", session="s1", tier=Tier.mid, kind="fact", text=text, created_at=created, sources=sources
        )

    lisbon = fact("f-city", "Ada lives in Lisbon.", 0, ["m1", "m2"])
    await r.add_facts([lisbon])
    await r.flush(timeout=60)
    assert await r.facts("ada") == [lisbon]

    emulator.stop()
    oslo = fact("f-oslo", "Ada moved to Oslo.", 30, ["m9"])
    superseded = lisbon.model_copy(update={"invalidated_at": oslo.created_at})
    await r.add_facts([oslo, superseded])  # acknowledged while Firestore is down
    with pytest.raises(PartialRead) as down:
        await r.facts("ada")
    assert down.value.partial == [oslo, superseded]  # the pending supersession, every field

    emulator.start()  # empty: whatever is stored afterwards, the outbox delivered
    await r.flush(timeout=60)
    assert await r.inner.facts("ada") == [oslo, superseded]
    assert await r.facts("ada", "s1") == [oslo, superseded]
    await r.aclose()


async def test_a_burst_of_parked_writes_past_the_redis_pool_is_acknowledged(namespace, redis_url):
    """300 turns parked at once in a Redis outbox whose pool holds 100 connections: each waits for one, none is refused."""
    box = RedisOutbox(redis_url, prefix=f"t{namespace}")
    try:
        await asyncio.gather(*(box.enqueue([("turns", "ada", f"s{i}", "[]")]) for i in range(300)))
        assert await box.count() == 300
    finally:
        await box.drop("ada")
        await box.aclose()


async def test_the_redis_outbox_outlives_a_restart_under_its_pooled_connections(private_redis):
    """The connections pooled before Redis restarted are dead; the first burst of parked writes after it used to fail
    (a 503 upstream). Now each is retried once on a fresh connection."""
    box = RedisOutbox(private_redis.url, prefix="t")
    burst = lambda: asyncio.gather(*(box.enqueue([("turns", "ada", f"s{i}", "[]")]) for i in range(20)))
    await burst()
    private_redis.stop()  # this fixture keeps no data across a restart
    private_redis.start()
    await burst()
    assert await box.count() == 20
    await box.aclose()


async def test_a_turn_parked_in_redis_by_an_instance_that_died_is_delivered_by_another(emulator, namespace, redis_url):
    """Backend first with a shared Redis outbox: Firestore cannot take a turn, so it is parked in Redis and acknowledged;
    that instance dies (its flusher stops, nothing is closed or flushed); a fresh instance, with nothing on disk, delivers it."""
    prefix = f"t{namespace}"

    def instance(host: str) -> ResilientMidTerm:
        inner = FirestoreMidTerm(project=namespace, emulator_host=host, shared=False, timeout=1)
        box = RedisOutbox(redis_url, prefix=prefix, lease_s=1)
        settings = dict(timeout=3, write_timeout=1, fail_max=3, reset_timeout=0.5, backoff_initial=0.05, backoff_max=0.5)
        return ResilientMidTerm(inner, box, backend_first=True, **settings)

    first = instance(dead_address())
    await first.add_turns([msg(1, "parked while Firestore was away")])
    assert (first.written_through, await first.outbox.count()) == (0, 1)
    first._flusher.cancel()  # the instance is killed: whatever it holds (the lease, too) is left behind

    second = instance(emulator.host)
    await second.flush(timeout=30)  # takes over once the dead instance's lease expires
    assert texts(await second.inner.turns("ada", "s1")) == ["parked while Firestore was away"]
    await second.add_turns([msg(2, "straight in")])  # Firestore first: nothing parked
    assert (second.written_through, await second.outbox.count()) == (1, 0)
    await second.aclose()
