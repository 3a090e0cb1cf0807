"""The short-term tier: one protocol suite over every backend, then what only Redis can show.

The protocol tests run on the in-process LRU and on the real Redis that `make test` started (keys under a
prefix unique to each test). Eviction, round trips and outages run on a private redis-server per test
(`private_redis`), which they reconfigure, pause, kill and restart.
"""

import asyncio

import pytest
from redis.asyncio import Connection, ConnectionPool, Redis
from redis.exceptions import RedisError

from agent_lib.core import Message, Role
from agent_lib.memory.base import MemoryUnavailable, ShortTermStore
from agent_lib.memory.short import FailoverShortTerm, InProcessShortTerm, RedisShortTerm


def msg(content: str, user: str = "ada", session: str = "s1", role: Role = Role.user) -> Message:
    return Message(user=user, session=session, role=role, content=content)


def texts(messages: list[Message]) -> list[str]:
    return [m.content for m in messages]


async def drop_prefix(url: str, prefix: str) -> None:
    """Remove every key a test wrote under its prefix on a shared server."""
    async with Redis.from_url(url) as r:
        keys = [k async for k in r.scan_iter(match=f"{prefix}:*", count=1000)]
        if keys:
            await r.unlink(*keys)


@pytest.fixture(params=["in-process", "redis"])
async def make_store(request, namespace):
    """A factory of fresh stores of one backend; what they wrote is removed after the test."""
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    stores = []

    def make(window: int = 3, ttl_s: float = 60) -> ShortTermStore:
        if url is None:
            store = InProcessShortTerm(window=window, ttl_s=ttl_s)
        else:
            store = RedisShortTerm(url, prefix=namespace, window=window, ttl_s=ttl_s)
        stores.append(store)
        return store

    yield make
    for store in stores:
        await store.aclose()
    if url is not None:
        await drop_prefix(url, namespace)


@pytest.fixture
def store(make_store) -> ShortTermStore:
    return make_store()


# --- the protocol, on every backend -------------------------------------------------------------


async def test_is_a_short_term_store(store):
    assert isinstance(store, ShortTermStore)
    await store.ping()


async def test_window_is_oldest_first(store):
    sent = [msg("one"), msg("two", role=Role.assistant), msg("three")]
    for m in sent:
        assert await store.append(m) == []
    assert await store.window("ada", "s1") == sent
    assert await store.window("ada", "never-written") == []


async def test_window_is_bounded_and_overflow_comes_back_oldest_first(store):
    sent = [msg(f"m{i}") for i in range(5)]
    dropped = [await store.append(m) for m in sent]
    assert dropped == [[], [], [], [sent[0]], [sent[1]]]
    assert await store.window("ada", "s1") == sent[2:]


async def test_replace_sets_the_window_to_its_newest_messages(store):
    await store.append(msg("old"))
    refill = [msg(f"r{i}") for i in range(5)]
    await store.replace("ada", "s1", refill)
    assert await store.window("ada", "s1") == refill[2:]
    assert await store.append(msg("next")) == [refill[2]]  # overflow continues from the refilled window
    await store.replace("ada", "s1", refill[:1])
    assert await store.window("ada", "s1") == refill[:1]
    await store.replace("ada", "s1", [])
    assert await store.window("ada", "s1") == []


async def test_replace_refuses_messages_of_another_user_or_session(store):
    with pytest.raises(ValueError, match="another user or session"):
        await store.replace("bob", "s1", [msg("ada's")])
    with pytest.raises(ValueError, match="another user or session"):
        await store.replace("ada", "s2", [msg("from s1")])
    assert await store.window("bob", "s1") == []


async def test_delete_one_session(store):
    await store.append(msg("a", session="s1"))
    await store.append(msg("b", session="s2"))
    await store.delete("ada", "s1")
    assert await store.window("ada", "s1") == []
    assert texts(await store.window("ada", "s2")) == ["b"]
    await store.delete("ada", "s1")  # deleting what is gone is fine


async def test_delete_every_session_of_a_user(store):
    for s in ["s1", "s2", "s3"]:
        await store.append(msg(f"in {s}", session=s))
    await store.delete("ada")
    for s in ["s1", "s2", "s3"]:
        assert await store.window("ada", s) == []
    await store.append(msg("after", session="s1"))  # the user can start again
    assert texts(await store.window("ada", "s1")) == ["after"]


async def test_idle_sessions_expire_and_writes_extend_the_ttl(make_store):
    store = make_store(ttl_s=1.0)
    await store.append(msg("first"))
    await asyncio.sleep(0.7)
    await store.append(msg("second"))  # idle time starts again
    await asyncio.sleep(0.7)  # 1.4 s after the first write, 0.7 s after the last
    assert texts(await store.window("ada", "s1")) == ["first", "second"]
    await asyncio.sleep(0.5)  # 1.2 s after the last write
    assert await store.window("ada", "s1") == []
    assert await store.append(msg("fresh")) == []  # an expired window starts afresh
    assert texts(await store.window("ada", "s1")) == ["fresh"]


async def test_tenants_never_mix(store):
    """Same session id under users whose ids share a prefix: separate windows, overflows and erasure."""
    users = ["ada", "ada.b", "bob"]
    for u in users:
        for i in range(4):
            await store.append(msg(f"{u}-{i}", user=u))
    for u in users:
        assert texts(await store.window(u, "s1")) == [f"{u}-{i}" for i in (1, 2, 3)]
        assert all(m.user == u for m in await store.window(u, "s1"))
    await store.delete("ada", "s1")
    await store.delete("ada")
    assert await store.window("ada", "s1") == []
    assert texts(await store.window("ada.b", "s1")) == ["ada.b-1", "ada.b-2", "ada.b-3"]
    assert texts(await store.window("bob", "s1")) == ["bob-1", "bob-2", "bob-3"]


async def test_ids_that_could_forge_keys_are_refused(store):
    for user, session in [("ada:s1", "x"), ("ada", "s1:x"), ("*", "s1"), ("ad?", "s1"), ("", "s1")]:
        with pytest.raises(ValueError, match="invalid id"):
            await store.window(user, session)
    with pytest.raises(ValueError, match="invalid id"):
        await store.delete("*")


async def test_messages_round_trip_unchanged(store):
    sent = [
        msg('Grüße aus Köln, 東京 🚀, "quoted" and \\ back\\slash\nnew line', role=Role.user),
        msg("", role=Role.assistant),
        msg("{'not': 'json'}", role=Role.tool),
    ]
    for m in sent:
        await store.append(m)
    got = await store.window("ada", "s1")
    assert got == sent
    assert [(m.id, m.created_at, m.role) for m in got] == [(m.id, m.created_at, m.role) for m in sent]


async def test_more_concurrent_calls_than_pooled_connections_wait_for_one(redis_url, namespace):
    """A burst past the pool size (100) waits for a free connection; it used to fail over (MaxConnectionsError)."""
    store = RedisShortTerm(redis_url, prefix=namespace, window=5)
    try:
        await asyncio.gather(*(store.append(msg("hello", session=f"s{i}")) for i in range(300)))
        assert [texts(await store.window("ada", f"s{i}")) for i in range(300)] == [["hello"]] * 300
    finally:
        await store.delete("ada")
        await store.aclose()


async def test_concurrent_appends_lose_and_duplicate_nothing(store):
    sent = [msg(f"m{i}") for i in range(20)]
    dropped = await asyncio.gather(*(store.append(m) for m in sent))
    kept = await store.window("ada", "s1")
    handed_back = [m for d in dropped for m in d]
    assert len(kept) == 3 and len(handed_back) == 17
    assert sorted(m.id for m in handed_back + kept) == sorted(m.id for m in sent)


# --- in-process only ------------------------------------------------------------------------------


async def test_in_process_evicts_least_recently_used_sessions():
    store = InProcessShortTerm(window=3, max_sessions=2)
    await store.append(msg("one", session="s1"))
    await store.append(msg("two", session="s2"))
    await store.window("ada", "s1")  # a read is a use: s2 is now the least recently used
    await store.append(msg("three", session="s3"))
    assert await store.window("ada", "s2") == []
    assert texts(await store.window("ada", "s1")) == ["one"]
    assert texts(await store.window("ada", "s3")) == ["three"]
    assert await store.append(msg("back", session="s2")) == []  # an evicted session starts again


# --- Redis only ------------------------------------------------------------------------------------


class CountingConnection(Connection):
    """A real connection that counts its socket writes."""

    writes = 0

    async def send_packed_command(self, command, check_health=True):
        CountingConnection.writes += 1
        return await super().send_packed_command(command, check_health)


async def test_redis_append_is_one_round_trip(private_redis):
    """One socket write carrying exactly MULTI, RPUSH, LRANGE, LTRIM, PEXPIRE, EXEC (server-side counts)."""
    client = Redis(connection_pool=ConnectionPool.from_url(private_redis.url, connection_class=CountingConnection))
    async with Redis.from_url(private_redis.url) as admin, RedisShortTerm(client, prefix="p", window=3) as store:
        for i in range(4):
            await store.append(msg(f"warm {i}"))  # connected, and the window already overflows
        before = await admin.info("commandstats")
        CountingConnection.writes = 0
        assert texts(await store.append(msg("counted"))) == ["warm 1"]
        assert CountingConnection.writes == 1
        after = await admin.info("commandstats")
    calls = {name: after[name]["calls"] - before.get(name, {}).get("calls", 0) for name in after}
    assert {name: n for name, n in calls.items() if n and name != "cmdstat_info"} == {
        f"cmdstat_{c}": 1 for c in ["multi", "rpush", "lrange", "ltrim", "pexpire", "exec"]
    }
    await client.ping()  # the store left the client it was given open
    await client.aclose()


async def test_redis_store_closes_only_the_client_it_created(private_redis):
    async def connected(admin: Redis, expected: int) -> bool:
        for _ in range(40):  # a closed socket reaches the server a moment later
            if (await admin.info("clients"))["connected_clients"] == expected:
                return True
            await asyncio.sleep(0.05)
        return False

    async with Redis.from_url(private_redis.url) as admin, Redis.from_url(private_redis.url) as given:
        await admin.ping()
        await given.ping()
        assert await connected(admin, 2)
        owned = RedisShortTerm(private_redis.url, prefix="p")
        await owned.append(msg("hi"))
        assert await connected(admin, 3)
        await owned.aclose()
        assert await connected(admin, 2)  # its own client: closed
        async with RedisShortTerm(given, prefix="p") as borrowed:
            assert texts(await borrowed.window("ada", "s1")) == ["hi"]
        await given.ping()  # a client it was given: still open
        assert await connected(admin, 2)
        assert texts(await owned.window("ada", "s1")) == ["hi"]  # a closed store reconnects lazily
        await owned.aclose()


async def test_redis_evicted_windows_read_as_empty(private_redis):
    """Fill a small maxmemory with volatile-lru (windows carry a TTL): old sessions go first, read as empty, the store keeps working."""
    async with (
        Redis.from_url(private_redis.url) as admin,
        RedisShortTerm(private_redis.url, prefix="p", window=4) as store,
    ):
        await admin.config_set("maxmemory-policy", "volatile-lru")
        await admin.config_set("maxmemory-samples", 10)
        body = "x" * 1000
        for s in range(100):
            await store.replace("ada", f"old{s}", [msg(body, session=f"old{s}") for _ in range(4)])
        await asyncio.sleep(1.2)  # Redis's LRU clock has one-second resolution
        used = (await admin.info("memory"))["used_memory"]
        await admin.config_set("maxmemory", used + 200_000)
        evicted0 = (await admin.info("stats"))["evicted_keys"]
        new = 0
        while (await admin.info("stats"))["evicted_keys"] == evicted0:
            await store.replace("ada", f"new{new}", [msg(body, session=f"new{new}") for _ in range(4)])
            new += 1
            assert new < 500, "no eviction happened"
        await admin.config_set("maxmemory", 0)  # no more evictions: the reads below must not cause any
        evicted = (await admin.info("stats"))["evicted_keys"] - evicted0
        old_gone = [s for s in range(100) if await store.window("ada", f"old{s}") == []]
        assert len(old_gone) == evicted  # every eviction took an old session ...
        for n in range(new):  # ... and none of the recent ones
            assert len(await store.window("ada", f"new{n}")) == 4
        gone = f"old{old_gone[0]}"
        assert await store.append(msg("again", session=gone)) == []  # an evicted session starts afresh
        assert texts(await store.window("ada", gone)) == ["again"]


async def test_redis_down_is_memory_unavailable(private_redis):
    store = RedisShortTerm(private_redis.url, prefix="p", timeout_s=0.3, connect_timeout_s=0.3)
    await store.append(msg("before"))
    private_redis.stop()
    calls = [
        store.append(msg("during")),
        store.window("ada", "s1"),
        store.replace("ada", "s1", []),
        store.delete("ada"),
        store.delete("ada", "s1"),
        store.ping(),
    ]
    for call in calls:
        with pytest.raises(MemoryUnavailable) as caught:
            await call
        assert not isinstance(caught.value, RedisError)
        assert isinstance(caught.value.__cause__, RedisError | OSError)
    private_redis.start()
    await store.ping()  # the same store reconnects by itself
    assert await store.window("ada", "s1") == []  # the restart lost the window (mid-term refills it)
    await store.aclose()


async def test_redis_frozen_server_times_out_as_memory_unavailable(private_redis):
    store = RedisShortTerm(private_redis.url, prefix="p", timeout_s=0.3)
    await store.append(msg("before"))
    private_redis.pause()
    try:
        with pytest.raises(MemoryUnavailable, match="TimeoutError"):  # the socket timeout, not a hang
            await store.window("ada", "s1")
    finally:
        private_redis.resume()
    assert texts(await store.window("ada", "s1")) == ["before"]
    await store.aclose()


class HandClock:
    """A monotonic clock advanced by hand, so failover tests never wait for `retry_after_s`."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def failover(url: str, clock: HandClock) -> FailoverShortTerm:
    primary = RedisShortTerm(url, prefix="p", window=3, timeout_s=0.3, connect_timeout_s=0.3)
    return FailoverShortTerm(primary, InProcessShortTerm(window=3), retry_after_s=10, clock=clock)


async def test_failover_keeps_serving_when_redis_dies_and_returns_when_it_is_back(private_redis):
    clock = HandClock()
    store = failover(private_redis.url, clock)
    await store.append(msg("one"))
    assert (store.active, store.degraded) == ("redis", False)

    private_redis.stop()
    assert await store.append(msg("two")) == []  # acknowledged, by the fallback
    assert (store.active, store.degraded, store.name) == ("in-process", True, "in-process")
    assert await store.window("ada", "s1") == []  # only "two" is here: reads as empty, so the manager refills it
    await store.replace("ada", "s1", [msg("one"), msg("two")])
    await store.append(msg("bob's", user="bob"))
    await store.ping()  # serving, from the fallback

    private_redis.start()
    clock.now += 9
    await store.window("ada", "s1")
    assert store.degraded  # not yet time to try the primary again
    clock.now += 1
    assert texts(await store.window("ada", "s1")) == ["one", "two"]
    assert (store.active, store.degraded) == ("redis", False)
    primary = store.primary
    assert texts(await primary.window("ada", "s1")) == ["one", "two"]  # what was written meanwhile moved over
    assert await primary.window("bob", "s1") == []  # begun by an append meanwhile: refilled from mid-term instead
    assert await store.fallback.window("ada", "s1") == []  # and left the fallback, so it cannot go stale there
    assert texts(await store.append(msg("three"))) == []
    assert texts(await primary.window("ada", "s1")) == ["one", "two", "three"]
    await store.aclose()


async def test_failover_stays_degraded_while_redis_is_still_down(private_redis):
    clock = HandClock()
    store = failover(private_redis.url, clock)
    private_redis.stop()
    await store.append(msg("one"))
    await store.replace("ada", "s1", [msg("one")])  # as the manager's refill from mid-term does
    clock.now += 10
    assert texts(await store.window("ada", "s1")) == ["one"]  # the retry failed: still the fallback
    assert store.degraded
    private_redis.start()
    clock.now += 9  # the failed retry restarted the wait
    await store.window("ada", "s1")
    assert store.degraded
    clock.now += 1
    await store.window("ada", "s1")
    assert not store.degraded
    await store.aclose()


async def test_failover_never_serves_a_stale_redis_window(private_redis):
    """Redis unreachable but keeping its data (frozen, or partitioned): on return it gets the newer windows."""
    clock = HandClock()
    store = failover(private_redis.url, clock)
    await store.append(msg("kept by redis"))
    await store.append(msg("erase me", user="bob"))
    private_redis.pause()
    try:
        await store.replace("ada", "s1", [msg("kept by redis"), msg("written during the outage")])
        await store.delete("bob")
        assert store.degraded
    finally:
        private_redis.resume()
    clock.now += 10
    assert texts(await store.window("ada", "s1")) == ["kept by redis", "written during the outage"]
    assert not store.degraded
    assert await store.window("bob", "s1") == []  # the erase reached Redis before it served again
    await store.aclose()


async def test_failover_never_serves_a_window_that_holds_only_the_turns_since(private_redis):
    """Redis times out between a turn's read and its write: neither store may then serve just the newest turn."""
    clock = HandClock()
    store = failover(private_redis.url, clock)
    for text in ("one", "two"):
        await store.append(msg(text))
    private_redis.pause()
    try:
        await store.append(msg("three"))  # the fallback has only this one
        assert store.degraded
        assert await store.window("ada", "s1") == []  # not ["three"]: the manager refills from mid-term
    finally:
        private_redis.resume()
    clock.now += 10
    assert await store.window("ada", "s1") == []  # nor ["one", "two"] (stale) or ["three"] (partial) from Redis
    assert not store.degraded
    await store.aclose()
