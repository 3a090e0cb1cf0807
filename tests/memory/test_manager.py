"""The memory manager built by the factory, on real servers: losing Redis mid-session loses nothing."""

import asyncio
import socket
import threading

import pytest

from agent_lib.core import Message
from agent_lib.embed import LocalEmbedder
from agent_lib.factory import MemoryManagerFactory, MemorySettings
from agent_lib.memory.base import ExtractedFact


@pytest.fixture(scope="module")
def embedder():
    return LocalEmbedder()


def settings(tmp_path, **overrides) -> MemorySettings:
    base = {"redis_url": None, "google_cloud_project": None, "firestore_emulator_host": None}
    return MemorySettings(memory_data_dir=tmp_path, memory_window=4, **{**base, **overrides})


def turn(user: str, session: str, n: int) -> list[Message]:
    return [Message(user=user, session=session, role="user", content=f"question {n}"),
            Message(user=user, session=session, role="assistant", content=f"answer {n}")]


@pytest.fixture(params=["sqlite", "firestore"])
def mid_term(request, namespace, firestore_emulator) -> dict:
    """Mid-term settings: the embedded SQLite file, or a project of its own on the Firestore emulator."""
    if request.param == "sqlite":
        return {}
    return {"google_cloud_project": namespace, "firestore_emulator_host": firestore_emulator}


async def test_killing_redis_mid_session_degrades_and_loses_nothing(tmp_path, private_redis, mid_term, embedder):
    mm = await MemoryManagerFactory(
        settings(tmp_path, redis_url=private_redis.url, memory_failover_retry_s=0.2, **mid_term), embedder=embedder
    ).build()
    try:
        assert mm.capabilities.components["short_term"].backend == "redis"
        for n in range(3):
            await mm.remember(*turn("ada", "s1", n))

        private_redis.stop()
        for n in range(3, 6):  # acknowledged while Redis is gone
            await mm.remember(*turn("ada", "s1", n))
        ctx = await mm.recall("ada", "s1")
        assert [m.content for m in ctx.recent] == ["question 4", "answer 4", "question 5", "answer 5"]
        short = mm.capabilities.components["short_term"]
        assert (short.backend, short.degraded) == ("in-process", True)
        assert "short_term" in mm.capabilities.degraded

        info, turns = await mm.session("ada", "s1")
        assert info.turns == 12
        assert [m.content for m in turns] == [m.content for n in range(6) for m in turn("ada", "s1", n)]

        private_redis.start()
        await asyncio.sleep(0.3)  # past memory_failover_retry_s: the next call tries Redis again
        await mm.remember(*turn("ada", "s1", 6))
        assert mm.capabilities.components["short_term"].backend == "redis"
        assert mm.capabilities.degraded == []
        ctx = await mm.recall("ada", "s1")
        assert [m.content for m in ctx.recent] == ["question 5", "answer 5", "question 6", "answer 6"]
    finally:
        await mm.forget_user("ada")
        await mm.aclose()


async def test_redis_timing_out_between_a_turns_read_and_write_keeps_the_whole_window(tmp_path, private_redis, embedder):
    """The window read before the model answered is in Redis; the write after goes to the fallback."""
    mm = await MemoryManagerFactory(
        settings(tmp_path, redis_url=private_redis.url, memory_failover_retry_s=0.2), embedder=embedder
    ).build()
    try:
        for n in range(2):
            await mm.remember(*turn("ada", "s1", n))
        await mm.recall("ada", "s1")
        private_redis.pause()
        try:
            await mm.remember(*turn("ada", "s1", 2))
            ctx = await mm.recall("ada", "s1")
            assert [m.content for m in ctx.recent] == ["question 1", "answer 1", "question 2", "answer 2"]
            assert "short_term" in mm.capabilities.degraded
        finally:
            private_redis.resume()
        await asyncio.sleep(0.3)
        await mm.remember(*turn("ada", "s1", 3))
        assert mm.capabilities.degraded == []
        ctx = await mm.recall("ada", "s1")
        assert [m.content for m in ctx.recent] == ["question 2", "answer 2", "question 3", "answer 3"]
    finally:
        await mm.forget_user("ada")
        await mm.aclose()


@pytest.fixture
def silent_port():
    """A TCP port that accepts connections and never answers (a hung backend)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held, stop = [], threading.Event()

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


async def test_factory_never_hangs_on_a_silent_backend(tmp_path, silent_port, embedder):
    """A Redis that accepts but never answers costs one probe deadline, then the manager serves in-process."""
    s = settings(tmp_path, redis_url=f"redis://127.0.0.1:{silent_port}/0", probe_timeout_s=0.5)
    mm = await asyncio.wait_for(MemoryManagerFactory(s, embedder=embedder).build(), timeout=10)
    try:
        short = mm.capabilities.components["short_term"]
        assert (short.backend, short.degraded, short.probes[0].ok) == ("in-process", True, False)
        await mm.remember(*turn("bob", "s1", 0))
        assert len((await mm.recall("bob", "s1")).recent) == 2
    finally:
        await mm.aclose()


async def test_users_never_see_each_others_memory(tmp_path, mid_term, embedder, redis_url, namespace):
    """Same session id, two users: recall, listing, search and erasure stay within one user."""

    async def facts(turns):
        return [ExtractedFact(text=t.content, sources=[t.id]) for t in turns if t.role == "user"]

    async def summary(previous, turns):
        return " / ".join(t.content for t in turns)

    s = settings(tmp_path, redis_url=redis_url, memory_key_prefix=namespace, **mid_term)
    mm = await MemoryManagerFactory(s, embedder=embedder, summarise=summary, extract_facts=facts).build()
    try:
        for n in range(4):
            await mm.remember(*turn("ada", "shared", n))
        await mm.remember(*turn("bob", "shared", 99))
        await mm.promote_idle(idle_after_s=0)
        await mm.drain()
        bob = await mm.recall("bob", "shared", "question 1")
        assert [m.content for m in bob.recent] == ["question 99", "answer 99"]
        assert [f.text for f in bob.facts] == ["question 99"]
        elsewhere = await mm.recall("bob", "elsewhere", "question 1")  # long-term search across bob's sessions
        assert elsewhere.related and all("99" in i.text and i.user == "bob" for i in elsewhere.related)
        assert all(i.user == "bob" for i in await mm.memories("bob", query="question 1"))
        await mm.forget_user("bob")
        assert await mm.sessions("bob") == []
        assert len((await mm.recall("ada", "shared")).recent) == 4
        ada = await mm.memories("ada")
        assert {i.text for i in ada if i.kind.value == "fact"} == {f"question {n}" for n in range(4)}
        assert {i.user for i in await mm.search("ada", "question 99", k=50)} == {"ada"}  # bob's erased turns never show
    finally:
        await mm.forget_user("ada")
        await mm.forget_user("bob")
        await mm.aclose()
