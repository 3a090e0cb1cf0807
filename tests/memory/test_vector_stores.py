"""One protocol suite for every long-term VectorStore backend that runs here, with real MiniLM vectors.

Backends: the local index in exact mode, the local index in HNSW mode (threshold 1, so every user gets a
usearch graph), and Firestore vector search on the real emulator (a project of its own per test).
Vertex AI Vector Search cannot run here: tests/memory/test_vertex_contract.py checks it against the SDK's contract.
"""

import asyncio
import os
import sys
import urllib.request
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from google.cloud.firestore import AsyncClient

from agent_lib.core import MemoryItem
from agent_lib.embed import LocalEmbedder
from agent_lib.memory.base import MemoryUnavailable, SearchFilter, VectorStore
from agent_lib.memory.hybrid import LEXICAL_WEIGHT, fuse
from agent_lib.memory.vector_firestore import MIN_CANDIDATES, FirestoreVectorStore
from agent_lib.memory.vector_local import HnswIndex, LocalVectorStore

BACKENDS = ["local", "local-hnsw", "firestore"]


@pytest.fixture(scope="module")
def embedder() -> LocalEmbedder:
    """The real embedder, loaded once for the module."""
    return LocalEmbedder()


def embed(embedder: LocalEmbedder, texts: list[str]) -> np.ndarray:
    return embedder.embed_sync(texts)


def wipe(host: str, project: str) -> None:
    """Delete every document of `project` on the shared emulator (never the whole emulator)."""
    url = f"http://{host}/emulator/v1/projects/{project}/databases/(default)/documents"
    urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=10).close()


@pytest.fixture
def firestore_project(firestore_emulator, namespace):
    """A project of this test's own on the shared emulator, wiped afterwards."""
    yield namespace
    wipe(firestore_emulator, namespace)


async def close_client(client: AsyncClient) -> None:
    """Close a Firestore client's gRPC channel (the store closes only clients it built)."""
    api = getattr(client, "_firestore_api_internal", None)
    if api is not None:
        await api.transport.close()


@pytest.fixture(params=BACKENDS)
async def store(request, tmp_path):
    """Each backend, empty and private to this test."""
    client = None
    if request.param == "firestore":
        client = AsyncClient(project=request.getfixturevalue("firestore_project"))
        s = FirestoreVectorStore(client)
    else:
        s = LocalVectorStore(tmp_path / "vectors", exact_below=1 if request.param == "local-hnsw" else 10_000)
    yield s
    await s.aclose()
    if client is not None:
        await close_client(client)


def fact(user: str, text: str, id: str, **kw) -> MemoryItem:
    return MemoryItem(user=user, tier="long", kind="fact", text=text, id=id, **kw)


ADA = [
    fact("ada", "Ada prefers green tea in the morning.", "tea"),
    fact("ada", "Ada is allergic to peanuts.", "peanuts"),
    fact("ada", "Ada works on a compiler written in Rust.", "rust"),
    MemoryItem(
        user="ada",
        session="s1",
        tier="long",
        kind="summary",
        id="s1-summary",
        text="Ada and the agent planned a trip to Lisbon in May.",
    ),
]


async def upsert(store, embedder, items):
    await store.upsert(items, embed(embedder, [i.text for i in items]))


async def search(store, embedder, user, query, k=8):
    return await store.search(user, embed(embedder, [query])[0], k=k)


# --- the protocol, on every backend


async def test_is_a_vector_store(store):
    assert isinstance(store, VectorStore)
    assert store.dim == 384
    await store.ping()


async def test_search_best_first_with_cosine_scores(store, embedder):
    await upsert(store, embedder, ADA)
    query = "What does Ada like to drink?"
    hits = await search(store, embedder, "ada", query, k=3)
    assert hits[0].id == "tea"
    assert len(hits) == 3
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True) and all(-1 <= s <= 1 for s in scores)
    q, v = embed(embedder, [query, ADA[0].text])
    assert abs(hits[0].score - float(q @ v)) < 1e-4  # the score is the cosine similarity


async def test_items_come_back_whole(store, embedder):
    await upsert(store, embedder, ADA)
    hits = {h.id: h for h in await search(store, embedder, "ada", "a trip to Portugal", k=10)}
    for item in ADA:
        assert hits[item.id].model_dump(exclude={"score"}) == item.model_dump(exclude={"score"})


async def test_k_larger_than_the_store(store, embedder):
    await upsert(store, embedder, ADA)
    hits = await search(store, embedder, "ada", "anything", k=100)
    assert sorted(h.id for h in hits) == sorted(i.id for i in ADA)
    assert await search(store, embedder, "ada", "anything", k=0) == []


async def test_replace_by_id(store, embedder):
    await upsert(store, embedder, ADA)
    await upsert(store, embedder, [fact("ada", "Ada switched from tea to coffee.", "tea")])
    hits = await search(store, embedder, "ada", "coffee", k=10)
    assert len(hits) == len(ADA)  # replaced, not added
    assert (hits[0].id, hits[0].text) == ("tea", "Ada switched from tea to coffee.")


async def test_last_duplicate_in_one_call_wins(store, embedder):
    await upsert(store, embedder, [fact("ada", "first text", "x"), fact("ada", "Ada owns a red bicycle.", "x")])
    hits = await search(store, embedder, "ada", "bicycle", k=10)
    assert [(h.id, h.text) for h in hits] == [("x", "Ada owns a red bicycle.")]


async def test_delete_by_ids_ignores_unknown(store, embedder):
    await upsert(store, embedder, ADA)
    await store.delete("ada", ["tea", "rust", "no-such-id"])
    await store.delete("ada", [])
    hits = await search(store, embedder, "ada", "tea", k=10)
    assert sorted(h.id for h in hits) == ["peanuts", "s1-summary"]


async def test_vectors_by_id_are_what_was_stored(store, embedder):
    await upsert(store, embedder, ADA)
    stored = await store.vectors("ada", ["tea", "rust", "never-stored"])
    assert sorted(stored) == ["rust", "tea"]
    expected = embed(embedder, ["Ada prefers green tea in the morning.", "Ada works on a compiler written in Rust."])
    assert np.allclose(stored["tea"], expected[0], atol=1e-5) and np.allclose(stored["rust"], expected[1], atol=1e-5)
    assert await store.vectors("bob", ["tea"]) == {}  # another user's id is not found
    assert await store.vectors("ada", []) == {}


async def test_tenant_isolation(store, embedder):
    """Another user's identical text under the same id is never returned, replaced or deleted."""
    same = "Prefers green tea in the morning."
    await upsert(
        store, embedder, [fact("ada", same, "tea"), fact("bob", same, "tea"), fact("bob", "Bob plays chess.", "chess")]
    )
    ada_hits = await search(store, embedder, "ada", same, k=10)
    assert [(h.user, h.id) for h in ada_hits] == [("ada", "tea")]
    assert {h.user for h in await search(store, embedder, "bob", same, k=10)} == {"bob"}
    assert await search(store, embedder, "carol", same, k=10) == []
    await upsert(store, embedder, [fact("ada", "Ada drinks coffee now.", "tea")])
    await store.delete("ada", ["tea", "chess"])
    bob_hits = await search(store, embedder, "bob", same, k=10)
    assert sorted((h.id, h.text) for h in bob_hits) == [("chess", "Bob plays chess."), ("tea", same)]
    assert await search(store, embedder, "ada", same, k=10) == []


async def test_rejects_bad_vectors(store, embedder):
    with pytest.raises(ValueError):
        await store.upsert(ADA[:2], embed(embedder, [ADA[0].text]))
    with pytest.raises(ValueError):
        await store.upsert(ADA[:1], np.ones((1, 3), dtype=np.float32))
    with pytest.raises(ValueError):
        await store.upsert(ADA[:1], np.zeros((1, 384), dtype=np.float32))
    assert await search(store, embedder, "ada", "tea") == []  # nothing was written


async def test_concurrent_calls(store, embedder):
    items = [fact("ada", f"Note {i} about topic {i % 5}.", f"n{i}") for i in range(20)]
    vectors = embed(embedder, [i.text for i in items])
    await asyncio.gather(*(store.upsert([item], vectors[i : i + 1]) for i, item in enumerate(items)))
    results = await asyncio.gather(*(store.search("ada", vectors[i], k=1) for i in range(20)))
    assert [r[0].id for r in results] == [f"n{i}" for i in range(20)]


# --- hybrid search, filters and provenance, on every backend

T0 = datetime(2026, 1, 5, tzinfo=UTC)
THINGS = ["bank card", "laptop", "tablet", "phone", "router", "office alarm", "gym locker", "bike lock", "home safe"]
THINGS += ["email account", "VPN", "work badge", "garage door", "car radio", "voicemail", "parking app"]
THINGS += ["pension portal", "tax account"]
MONTHS = ["January", "March", "May", "July", "September", "November"]
QUESTION = "Kelivo42: a password or a PIN of mine?"


def item(id: str, text: str, kind: str = "fact", days: float = 0, user: str = "cy", **kw) -> MemoryItem:
    return MemoryItem(user=user, tier="long", kind=kind, text=text, id=id, created_at=T0 + timedelta(days=days), **kw)


# Cy: 28 memories about PINs and passcodes (sessions s1, s2), and one fact that holds a rare word (s3).
CY = [
    *(
        item(f"pin-{i}", f"Cy changed the PIN of her {t} in {MONTHS[i % 6]}.", days=i, session="s1")
        for i, t in enumerate(THINGS)
    ),
    *(
        item(
            f"code-{i}", f"I set a new passcode on the {t} after a reminder.", "turn", 30 + i, session="s2", role="user"
        )
        for i, t in enumerate(THINGS[:10])
    ),
    item(
        "map",
        "Cy wrote Kelivo42 on the back of the trail map from her weekend hike.",
        days=60,
        session="s3",
        sources=["m-hike-1", "m-hike-2"],
    ),
]
_vectors: dict[str, np.ndarray] = {}


def vectors(embedder: LocalEmbedder, texts: list[str]) -> np.ndarray:
    """The texts' embeddings, each computed once per module (the backends share them)."""
    missing = [t for t in dict.fromkeys(texts) if t not in _vectors]
    if missing:
        _vectors.update(zip(missing, embed(embedder, missing), strict=True))
    return np.stack([_vectors[t] for t in texts])


async def put(store, embedder, items: list[MemoryItem]) -> None:
    await store.upsert(items, vectors(embedder, [i.text for i in items]))


async def ask(store, embedder, query: str, k: int = 50, text: str | None = None, user: str = "cy", **filter):
    """Ids of `store.search` for `query`'s vector, with `text` and a SearchFilter of `filter` when given."""
    f = SearchFilter(**filter) if filter else None
    return [h.id for h in await store.search(user, vectors(embedder, [query])[0], k=k, text=text, filter=f)]


async def test_hybrid_finds_a_rare_word_that_meaning_ranks_low(store, embedder):
    await put(store, embedder, CY)
    query = vectors(embedder, [QUESTION])[0]
    cosines = {h.id: h.score for h in await store.search("cy", query, k=len(CY))}
    assert list(cosines).index("map") >= 5  # by meaning alone, her many PIN memories come first
    hybrid = await store.search("cy", query, k=5, text=QUESTION)
    assert "map" in [h.id for h in hybrid]  # the words bring it into the top five
    scores = [h.score for h in hybrid]
    assert scores == sorted(scores, reverse=True)
    # one scale everywhere: each score is the cosine plus a word bonus of at most LEXICAL_WEIGHT
    assert all(-1e-4 <= h.score - cosines[h.id] <= LEXICAL_WEIGHT + 1e-4 for h in hybrid)
    found = next(h for h in hybrid if h.id == "map")
    assert found.score - cosines["map"] > 0.01  # its rare word lifts it
    assert found.model_dump(exclude={"score"}) == CY[-1].model_dump(exclude={"score"})


async def test_hybrid_without_meaningful_words_keeps_the_dense_order(store, embedder):
    await put(store, embedder, CY)
    query = vectors(embedder, [QUESTION])[0]
    dense = await store.search("cy", query, k=10)
    hybrid = await store.search("cy", query, k=10, text="the of and")
    assert [h.id for h in hybrid] == [h.id for h in dense]
    assert [h.score for h in hybrid] == pytest.approx([h.score for h in dense], abs=1e-5)  # the cosines, no bonus


@pytest.mark.parametrize("text", [None, QUESTION], ids=["dense", "hybrid"])
async def test_filters_session_kinds_time_and_validity(store, embedder, text):
    await put(store, embedder, CY)
    superseded = CY[0].model_copy(update={"invalidated_at": T0 + timedelta(days=90)})
    await put(store, embedder, [superseded])

    async def ids(**filter) -> list[str]:
        return sorted(await ask(store, embedder, QUESTION, text=text, **filter))

    assert await ids(session="s3") == ["map"]
    assert await ids(kinds=["turn"]) == sorted(f"code-{i}" for i in range(10))
    assert await ids(kinds=["turn"], until=T0 + timedelta(days=35)) == [f"code-{i}" for i in range(5)]  # exclusive
    assert await ids(since=T0 + timedelta(days=39)) == ["code-9", "map"]  # inclusive
    assert await ids(kinds=["summary", "turn"], session="s1") == []  # every given field must hold
    assert "pin-0" in await ids(kinds=["fact"])
    assert await ids(kinds=["fact"], valid_only=True) == sorted(
        i.id for i in CY if i.kind == "fact" and i.id != "pin-0"
    )
    assert len(await ids(valid_only=True)) == len(CY) - 1
    assert await ids(session="nowhere") == []


async def test_a_selective_filter_finds_items_beyond_the_nearest_candidates(store, embedder):
    """60 memories nearer to the question than the only summary: a kinds filter still finds the summary."""
    dan = [
        item(f"pin-{i}", f"Dan changed the PIN of his {THINGS[i % 18]} in {MONTHS[i % 6]}.", user="dan")
        for i in range(60)
    ]
    dan.append(item("garden", "Dan and the agent talked about gardening.", "summary", user="dan"))
    await put(store, embedder, dan)
    assert (await ask(store, embedder, "my bank card PIN", k=len(dan), user="dan")).index("garden") >= MIN_CANDIDATES
    for text in (None, "my bank card PIN"):
        found = await ask(store, embedder, "my bank card PIN", k=1, text=text, user="dan", kinds=["summary"])
        assert found == ["garden"]


async def test_provenance_fields_round_trip(store, embedder):
    turn = item("m1", "I moved to Oslo in March.", "turn", 1, session="s1", role="user", sources=["m1"])
    old = item("f1", "Cy lives in Lisbon.", days=0, session="s0", sources=["m0"], invalidated_at=T0 + timedelta(days=1))
    new = item("f2", "Cy lives in Oslo.", days=1, session="s1", sources=["m1"])
    await put(store, embedder, [turn, old, new])
    for text in (None, "where does Cy live?"):
        hits = await store.search("cy", vectors(embedder, ["where does Cy live?"])[0], k=10, text=text)
        assert {h.id: h.model_dump(exclude={"score"}) for h in hits} == {
            i.id: i.model_dump(exclude={"score"}) for i in (turn, old, new)
        }


# --- the local index: persistence and its two search modes


@pytest.mark.parametrize("exact_below", [1, 10_000], ids=["hnsw", "exact"])
async def test_local_persists_across_restart(tmp_path, embedder, exact_below):
    folder = tmp_path / "vectors"
    async with LocalVectorStore(folder, exact_below=exact_below) as s:
        await upsert(s, embedder, [*ADA, fact("bob", "Bob plays chess.", "chess")])
        await s.delete("ada", ["rust"])
        before = [h.id for h in await search(s, embedder, "ada", "drinks", k=10)]
    async with LocalVectorStore(folder, exact_below=exact_below) as s:
        after = await search(s, embedder, "ada", "drinks", k=10)
        assert [h.id for h in after] == before and "rust" not in before
        assert [h.id for h in await search(s, embedder, "bob", "board games")] == ["chess"]
        if exact_below == 1:
            assert s._indexes["ada"].restored  # the snapshot saved at aclose was loaded, not rebuilt


async def test_local_switches_to_hnsw_and_saves_on_a_debounce(tmp_path, embedder):
    folder = tmp_path / "vectors"
    s = LocalVectorStore(folder, exact_below=3, save_delay=0.05)
    await upsert(s, embedder, ADA[:2])
    assert not isinstance(s._indexes["ada"], HnswIndex)
    await upsert(s, embedder, ADA[2:])
    assert isinstance(s._indexes["ada"], HnswIndex)
    for _ in range(100):  # the debounce fires 0.05 s after the last write
        if list(folder.rglob("*.usearch")):
            break
        await asyncio.sleep(0.05)
    assert [p.name for p in folder.rglob("*.usearch")] == ["2.usearch"]  # version 2: after two writes
    assert [h.id for h in await search(s, embedder, "ada", "What does Ada drink?", k=1)] == ["tea"]
    await s.aclose()


async def test_local_crash_loses_no_write(tmp_path, embedder):
    """A process killed after a write (no aclose, snapshot one version behind): the next start rebuilds from SQLite."""
    folder = tmp_path / "vectors"
    async with LocalVectorStore(folder, exact_below=1) as s:
        await upsert(s, embedder, ADA)
    cat = fact("ada", "Ada adopted a grey cat called Pixel.", "cat")
    np.save(tmp_path / "cat.npy", embed(embedder, [cat.text]))
    script = f"""
import asyncio, os, numpy as np
from agent_lib.core import MemoryItem
from agent_lib.memory.vector_local import LocalVectorStore
async def main():
    store = LocalVectorStore({str(folder)!r}, exact_below=1, save_delay=3600)
    item = MemoryItem.model_validate_json({cat.model_dump_json()!r})
    await store.upsert([item], np.load({str(tmp_path / "cat.npy")!r}))
    os._exit(3)
asyncio.run(main())
"""
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", script, env=os.environ)
    assert await process.wait() == 3
    async with LocalVectorStore(folder, exact_below=1) as s:
        hits = await search(s, embedder, "ada", "Ada's pet", k=1)
        assert [h.id for h in hits] == ["cat"]
        assert not s._indexes["ada"].restored
    assert [p.name for p in folder.rglob("*.usearch*")] == ["2.usearch"]  # the stale snapshot was replaced


async def test_local_unreadable_snapshot_is_rebuilt(tmp_path, embedder):
    folder = tmp_path / "vectors"
    async with LocalVectorStore(folder, exact_below=1) as s:
        await upsert(s, embedder, ADA)
    (snapshot,) = folder.rglob("*.usearch")
    snapshot.write_bytes(b"not an index")
    async with LocalVectorStore(folder, exact_below=1) as s:
        assert [h.id for h in await search(s, embedder, "ada", "What does Ada drink?", k=1)] == ["tea"]


async def test_local_unwritable_directory_is_unavailable(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the store wants a directory")
    s = LocalVectorStore(blocker / "vectors")
    with pytest.raises(MemoryUnavailable):
        await s.ping()


# --- Firestore: isolation by path, failing fast


async def test_firestore_documents_live_under_their_user(firestore_project, embedder):
    client = AsyncClient(project=firestore_project)
    async with FirestoreVectorStore(client) as s:
        await upsert(s, embedder, [ADA[0], fact("bob", "Bob plays chess.", "chess")])
    doc = await client.collection("users", "ada", "memories").document("tea").get()
    assert doc.exists and doc.get("text") == ADA[0].text and len(doc.get("embedding")) == 384
    assert {k: doc.get(k) for k in ("role", "sources", "invalidated_at")} == {
        "role": None,
        "sources": [],
        "invalidated_at": None,
    }
    assert not (await client.collection("users", "ada", "memories").document("chess").get()).exists
    await close_client(client)


async def test_firestore_asks_for_more_candidates_only_when_it_filters_or_re_ranks(firestore_project, embedder):
    """Dense only: k neighbours. With text or a filter: max(4k, 50), re-asked at Firestore's cap when too few pass."""
    client = AsyncClient(project=firestore_project)
    async with FirestoreVectorStore(client) as s:
        limits = []
        nearest = s._nearest

        async def spy(user, query, limit):
            limits.append(limit)
            return await nearest(user, query, limit)

        s._nearest = spy
        await upsert(s, embedder, ADA)
        query = embed(embedder, ["tea"])[0]
        await s.search("ada", query, k=3)
        await s.search("ada", query, k=3, text="tea")
        await s.search("ada", query, k=20, filter=SearchFilter(kinds=["fact"]))
        await s.search(
            "ada", query, k=3, filter=SearchFilter(session="nowhere")
        )  # fewer than the limit exist: no re-ask
        assert limits == [3, 50, 80, 50]
        s._nearest = nearest
    await close_client(client)


async def test_firestore_re_ranks_its_dense_candidates_with_fuse(firestore_project, embedder):
    """With text: hybrid.fuse over the dense candidates, document frequencies taken over those candidates."""
    async with FirestoreVectorStore(project=firestore_project) as s:
        await put(s, embedder, CY)
        query = vectors(embedder, [QUESTION])[0]
        candidates = await s.search("cy", query, k=MIN_CANDIDATES)  # the same max(4k, 50) neighbours, by cosine
        hybrid = await s.search("cy", query, k=5, text=QUESTION)
        assert [(h.id, h.score) for h in hybrid] == [(h.id, h.score) for h in fuse(candidates, QUESTION)[:5]]


async def test_firestore_unreachable_is_unavailable(firestore_emulator, monkeypatch):
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:9")  # the discard port: nothing listens
    client = AsyncClient(project="nowhere")
    s = FirestoreVectorStore(client, timeout=2)
    with pytest.raises(MemoryUnavailable):
        await s.search("ada", np.ones(384, dtype=np.float32))
    with pytest.raises(MemoryUnavailable):
        await s.ping()
    await close_client(client)


async def test_firestore_rejects_path_tricks(firestore_project, embedder):
    async with FirestoreVectorStore(project=firestore_project) as s:  # a client of its own, closed by aclose
        with pytest.raises(ValueError):
            await s.search("ada/memories/x", embed(embedder, ["x"])[0])
        with pytest.raises(ValueError):
            await upsert(s, embedder, [fact("ada", "x", "a/b")])
        await s.ping()
