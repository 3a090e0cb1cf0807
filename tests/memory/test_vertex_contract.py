"""VertexVectorStore against the Vertex AI SDK's contract.

Vertex AI Vector Search cannot run here (no emulator exists). These tests check the adapter against the SDK's
contract instead: the real `google.cloud.aiplatform_v1` async clients with their real gRPC transports, over a real
channel, to an in-process gRPC server standing in for Vertex. The server decodes the wire bytes into the real
request messages, records them, and answers with real response messages or real gRPC status codes. What the service
does with a request (that token and numeric restricts filter, that a hybrid query retrieves by RRF and reports
sparse_distance as a positive dot product, how fast streaming updates become searchable) needs a real index.
"""

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import grpc
import numpy as np
import pytest
from google.cloud import aiplatform_v1 as v1
from google.cloud.aiplatform_v1.services.index_service.transports import IndexServiceGrpcAsyncIOTransport
from google.cloud.aiplatform_v1.services.match_service.transports import MatchServiceGrpcAsyncIOTransport

from agent_lib.core import MemoryItem
from agent_lib.embed import LocalEmbedder
from agent_lib.memory.base import MemoryBackendError, MemoryUnavailable, SearchFilter, VectorStore, to_us
from agent_lib.memory.hybrid import LEXICAL_WEIGHT, sparse_vector
from agent_lib.memory.vertex import DENSE_ALPHA, VertexVectorStore

INDEX = "projects/demo/locations/europe-west1/indexes/123"
ENDPOINT = "projects/demo/locations/europe-west1/indexEndpoints/456"
DEPLOYED = "memories_v1"
METHODS = {  # method path: (request type, response type), as in the generated transports
    "/google.cloud.aiplatform.v1.IndexService/UpsertDatapoints": (
        v1.UpsertDatapointsRequest,
        v1.UpsertDatapointsResponse,
    ),
    "/google.cloud.aiplatform.v1.IndexService/RemoveDatapoints": (
        v1.RemoveDatapointsRequest,
        v1.RemoveDatapointsResponse,
    ),
    "/google.cloud.aiplatform.v1.IndexService/GetIndex": (v1.GetIndexRequest, v1.Index),
    "/google.cloud.aiplatform.v1.MatchService/FindNeighbors": (v1.FindNeighborsRequest, v1.FindNeighborsResponse),
    "/google.cloud.aiplatform.v1.MatchService/ReadIndexDatapoints": (
        v1.ReadIndexDatapointsRequest,
        v1.ReadIndexDatapointsResponse,
    ),
}


class ContractServer:
    """Vertex AI's side of the wire: records decoded requests and their metadata, answers as scripted."""

    def __init__(self):
        self.requests, self.metadata, self.replies = defaultdict(list), defaultdict(list), defaultdict(list)

    def _handler(self, path, request_type, response_type):
        method = path.rsplit("/", 1)[1]

        async def handle(request, context):
            self.requests[method].append(request)
            self.metadata[method].append(dict(context.invocation_metadata()))
            reply = self.replies[method].pop(0) if self.replies[method] else response_type()
            if isinstance(reply, grpc.StatusCode):
                await context.abort(reply, f"scripted {reply.name}")
            return reply

        return grpc.unary_unary_rpc_method_handler(
            handle, request_deserializer=request_type.deserialize, response_serializer=response_type.serialize
        )

    async def start(self) -> None:
        self.server = grpc.aio.server()
        for service in {p.split("/")[1] for p in METHODS}:
            handlers = {p.split("/")[2]: self._handler(p, *t) for p, t in METHODS.items() if p.split("/")[1] == service}
            self.server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(service, handlers)])
        self.address = f"127.0.0.1:{self.server.add_insecure_port('127.0.0.1:0')}"
        await self.server.start()

    def clients(self) -> dict:
        """Real async clients whose real gRPC transports talk to this server."""
        index = IndexServiceGrpcAsyncIOTransport(channel=grpc.aio.insecure_channel(self.address))
        match = MatchServiceGrpcAsyncIOTransport(channel=grpc.aio.insecure_channel(self.address))
        return dict(
            index_client=v1.IndexServiceAsyncClient(transport=index),
            match_client=v1.MatchServiceAsyncClient(transport=match),
        )


@pytest.fixture(scope="module")
def embedder() -> LocalEmbedder:
    return LocalEmbedder()


@pytest.fixture
async def vertex():
    server = ContractServer()
    await server.start()
    yield server
    await server.server.stop(None)


@pytest.fixture
async def store(vertex):
    clients = vertex.clients()
    s = VertexVectorStore(INDEX, ENDPOINT, DEPLOYED, timeout=5, batch_size=2, **clients)
    yield s
    await s.aclose()
    for client in clients.values():
        await client.transport.close()


def fact(user: str, text: str, id: str, **kw) -> MemoryItem:
    return MemoryItem(user=user, tier="long", kind="fact", text=text, id=id, **kw)


ITEMS = [
    fact("ada", "Ada prefers green tea in the morning.", "tea", session="s1"),
    fact("ada", "Ada is allergic to peanuts.", "peanuts"),
    fact("bob", "Bob prefers green tea in the morning.", "tea"),
]


def restricts(datapoint: v1.IndexDatapoint) -> list:
    return [(r.namespace, list(r.allow_list)) for r in datapoint.restricts]


def neighbors_response(points, vectors, query) -> v1.FindNeighborsResponse:
    """What Vertex answers for these datapoints on a DOT_PRODUCT_DISTANCE index: dot products, nearest first."""
    ranked = sorted(zip(points, vectors, strict=True), key=lambda pv: -float(pv[1] @ query))
    neighbors = [v1.FindNeighborsResponse.Neighbor(datapoint=p, distance=float(v @ query)) for p, v in ranked]
    return v1.FindNeighborsResponse(
        nearest_neighbors=[v1.FindNeighborsResponse.NearestNeighbors(id="query", neighbors=neighbors)]
    )


async def test_contract_store_is_a_vector_store(store, vertex):
    """Contract (Vertex cannot run here): the adapter satisfies the protocol; ping reads the index by name."""
    assert isinstance(store, VectorStore)
    await store.ping()
    assert [r.name for r in vertex.requests["GetIndex"]] == [INDEX]


async def test_contract_upsert_sends_restricted_datapoints(store, vertex, embedder):
    """Contract (Vertex cannot run here): UpsertDatapoints carries the index, ids per user, the user restrict,
    the unit vectors and the item as embedding_metadata, in requests of batch_size datapoints."""
    vectors = embedder.embed_sync([i.text for i in ITEMS])
    await store.upsert(ITEMS, vectors * 3.0)  # not unit: the adapter normalises
    sent = vertex.requests["UpsertDatapoints"]
    assert [len(r.datapoints) for r in sent] == [2, 1]
    assert {r.index for r in sent} == {INDEX}
    points = [p for r in sent for p in r.datapoints]
    assert [p.datapoint_id for p in points] == ["ada:tea", "ada:peanuts", "bob:tea"]
    assert [restricts(p) for p in points] == [
        [("user", ["ada"]), ("kind", ["fact"]), ("session", ["s1"]), ("valid", ["true"])],
        [("user", ["ada"]), ("kind", ["fact"]), ("valid", ["true"])],
        [("user", ["bob"]), ("kind", ["fact"]), ("valid", ["true"])],
    ]
    np.testing.assert_allclose([list(p.feature_vector) for p in points], vectors, atol=1e-6)
    assert dict(points[0].embedding_metadata) == {**ITEMS[0].model_dump(mode="json", exclude={"score"})}
    routing = vertex.metadata["UpsertDatapoints"][0]["x-goog-request-params"].replace("%2F", "/")
    assert f"index={INDEX}" in routing


async def test_contract_upsert_last_duplicate_wins(store, vertex, embedder):
    """Contract (Vertex cannot run here): duplicate ids in one call send one datapoint, the last."""
    items = [fact("ada", "first", "x"), fact("ada", "second", "x")]
    await store.upsert(items, embedder.embed_sync([i.text for i in items]))
    (request,) = vertex.requests["UpsertDatapoints"]
    assert [(p.datapoint_id, p.embedding_metadata["text"]) for p in request.datapoints] == [("ada:x", "second")]


async def test_contract_find_neighbors_request_and_response(store, vertex, embedder):
    """Contract (Vertex cannot run here): FindNeighbors carries the endpoint, deployed index id, neighbor_count
    and the user restrict; the response becomes whole MemoryItems scored by the returned dot product."""
    vectors = embedder.embed_sync([i.text for i in ITEMS])
    await store.upsert(ITEMS, vectors)
    points = [p for r in vertex.requests["UpsertDatapoints"] for p in r.datapoints]
    query = embedder.embed_sync(["What does Ada drink?"])[0]
    ada = [i for i, p in enumerate(points) if p.datapoint_id.startswith("ada:")]
    vertex.replies["FindNeighbors"].append(neighbors_response([points[i] for i in ada], vectors[ada], query))
    hits = await store.search("ada", query, k=7)
    (asked,) = vertex.requests["FindNeighbors"]
    assert (asked.index_endpoint, asked.deployed_index_id, asked.return_full_datapoint) == (ENDPOINT, DEPLOYED, True)
    (q,) = asked.queries
    assert q.neighbor_count == 7 and restricts(q.datapoint) == [("user", ["ada"])]
    assert "rrf" not in q and "sparse_embedding" not in q.datapoint and not q.datapoint.numeric_restricts  # dense only
    np.testing.assert_allclose(list(q.datapoint.feature_vector), query, atol=1e-6)
    assert [h.id for h in hits] == ["tea", "peanuts"]
    assert hits[0].model_dump(exclude={"score"}) == ITEMS[0].model_dump(exclude={"score"})
    assert abs(hits[0].score - float(vectors[0] @ query)) < 1e-6
    assert hits[0].score > hits[1].score


T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
Op = v1.IndexDatapoint.NumericRestriction.Operator


def sent_points(vertex) -> list[v1.IndexDatapoint]:
    return [p for r in vertex.requests["UpsertDatapoints"] for p in r.datapoints]


async def test_contract_upsert_carries_words_kind_session_validity_and_time(store, vertex, embedder):
    """Contract (Vertex cannot run here): each datapoint carries its words as sparse_embedding (left out when there
    are none), restricts for kind, session (none without one) and validity, and created_us as a numeric restrict."""
    items = [
        fact("ada", "The code for my storage locker is Kelivo42.", "f1", session="s1", created_at=T0, sources=["m1"]),
        fact("ada", "Ada lives in Lisbon.", "f2", created_at=T0, invalidated_at=T0 + timedelta(days=9)),
        MemoryItem(
            user="ada", tier="long", kind="turn", role="assistant", text="Okay, thanks!", id="m2", sources=["m2"]
        ),
    ]
    await store.upsert(items, embedder.embed_sync([i.text for i in items]))
    points = sent_points(vertex)
    assert [restricts(p) for p in points] == [
        [("user", ["ada"]), ("kind", ["fact"]), ("session", ["s1"]), ("valid", ["true"])],
        [("user", ["ada"]), ("kind", ["fact"]), ("valid", ["false"])],
        [("user", ["ada"]), ("kind", ["turn"]), ("valid", ["true"])],
    ]
    for p, i in zip(points, items, strict=True):
        assert [(n.namespace, n.value_int, n.op) for n in p.numeric_restricts] == [
            ("created_us", to_us(i.created_at), Op.OPERATOR_UNSPECIFIED)  # a datapoint's numeric restrict has no op
        ]
        # role, sources and invalidated_at travel in the metadata
        assert dict(p.embedding_metadata) == i.model_dump(mode="json", exclude={"score"})
    dims, values = sparse_vector(items[0].text)
    assert list(points[0].sparse_embedding.dimensions) == dims and len(dims) == 4  # code storage locker kelivo42
    np.testing.assert_allclose(list(points[0].sparse_embedding.values), values, rtol=1e-6)  # FLOAT on the wire
    assert "sparse_embedding" not in points[2]  # "Okay, thanks!" has no meaningful words


async def test_contract_provenance_round_trips_through_the_metadata(store, vertex, embedder):
    """Contract (Vertex cannot run here): a neighbour's metadata becomes the whole item, new fields included."""
    item = MemoryItem(
        user="ada", tier="long", kind="turn", role="user", text="I moved to Oslo.", id="m7", sources=["m7"]
    )
    superseded = fact("ada", "Ada lives in Lisbon.", "f1", sources=["m1"], invalidated_at=T0)
    await store.upsert([item, superseded], embedder.embed_sync([item.text, superseded.text]))
    points = sent_points(vertex)
    vertex.replies["FindNeighbors"].append(neighbors_response(points, np.eye(2), np.array([1.0, 0.5])))
    hits = await store.search("ada", embedder.embed_sync(["Oslo"])[0], k=2)
    assert [h.model_dump(exclude={"score"}) for h in hits] == [
        i.model_dump(exclude={"score"}) for i in (item, superseded)
    ]


def hybrid_response(*neighbors) -> v1.FindNeighborsResponse:
    """A hybrid index's answer: (datapoint, dense distance, sparse distance) in the order given (RRF's)."""
    found = [v1.FindNeighborsResponse.Neighbor(datapoint=p, distance=d, sparse_distance=s) for p, d, s in neighbors]
    return v1.FindNeighborsResponse(
        nearest_neighbors=[v1.FindNeighborsResponse.NearestNeighbors(id="query", neighbors=found)]
    )


async def test_contract_hybrid_query_carries_the_sparse_vector_and_rrf(vertex, embedder):
    """Contract (Vertex cannot run here): with text, the query datapoint carries sparse_vector(text, query=True) beside
    the dense vector, and the query asks for RRF retrieval with the store's alpha (default DENSE_ALPHA)."""
    clients = vertex.clients()
    store = VertexVectorStore(INDEX, ENDPOINT, DEPLOYED, timeout=5, alpha=0.9, **clients)
    assert VertexVectorStore(INDEX, ENDPOINT, DEPLOYED, **clients).alpha == DENSE_ALPHA
    question = "Is Ada allergic to peanuts?"
    await store.search("ada", embedder.embed_sync([question])[0], k=4, text=question)
    (q,) = vertex.requests["FindNeighbors"][0].queries
    dims, values = sparse_vector(question, query=True)
    assert (list(q.datapoint.sparse_embedding.dimensions), list(q.datapoint.sparse_embedding.values)) == (dims, values)
    assert dims and q.rrf.alpha == pytest.approx(0.9) and q.neighbor_count == 4  # alpha is a FLOAT on the wire
    assert restricts(q.datapoint) == [("user", ["ada"])]
    await store.search("ada", embedder.embed_sync(["the of"])[0], k=4, text="the of")  # no meaningful words
    (q,) = vertex.requests["FindNeighbors"][1].queries
    assert "rrf" not in q and "sparse_embedding" not in q.datapoint  # a dense query
    for client in clients.values():
        await client.transport.close()


async def test_contract_hybrid_scores_are_cosine_plus_a_bounded_word_bonus(store, vertex, embedder):
    """Contract (Vertex cannot run here): a hybrid result's score is its cosine (distance) plus LEXICAL_WEIGHT times its
    sparse_distance over the largest of the results, best first: RRF chooses the neighbours, not their order."""
    await store.upsert(ITEMS[:2], embedder.embed_sync([i.text for i in ITEMS[:2]]))
    tea, peanuts = sent_points(vertex)
    question = "Is Ada allergic to peanuts?"
    query = embedder.embed_sync([question])[0]

    async def scores(*neighbors) -> list[tuple[str, float]]:
        vertex.replies["FindNeighbors"].append(hybrid_response(*neighbors))
        return [(h.id, h.score) for h in await store.search("ada", query, k=4, text=question)]

    # RRF put the word match first; on the cosine scale the clearly nearer meaning wins
    assert await scores((peanuts, 0.3, 2.0), (tea, 0.6, 0.5)) == [
        ("tea", pytest.approx(0.6 + LEXICAL_WEIGHT * 0.5 / 2.0)),
        ("peanuts", pytest.approx(0.3 + LEXICAL_WEIGHT)),
    ]
    # near in meaning, the word match gains the full bonus and comes first, whatever order Vertex returned
    assert await scores((tea, 0.6, 0.0), (peanuts, 0.5, 2.2)) == [
        ("peanuts", pytest.approx(0.5 + LEXICAL_WEIGHT)),
        ("tea", pytest.approx(0.6)),
    ]
    # no positive sparse distance (no word matched, or a service that reports it negated): cosine alone, ties stable
    assert await scores((peanuts, 0.4, 0.0), (tea, 0.4, -1.5)) == [("peanuts", 0.4), ("tea", 0.4)]


@pytest.mark.parametrize(
    "filter, tokens, numbers",
    [
        (SearchFilter(session="s1"), [("session", ["s1"], [])], []),
        (SearchFilter(kinds=["fact", "summary"]), [("kind", ["fact", "summary"], [])], []),
        (SearchFilter(valid_only=True), [("valid", [], ["false"])], []),
        (SearchFilter(since=T0), [], [("created_us", to_us(T0), Op.GREATER_EQUAL)]),
        (SearchFilter(until=T0), [], [("created_us", to_us(T0), Op.LESS)]),
        (
            SearchFilter(session="s2", kinds=["turn"], since=T0, until=T0 + timedelta(days=1), valid_only=True),
            [("session", ["s2"], []), ("kind", ["turn"], []), ("valid", [], ["false"])],
            [
                ("created_us", to_us(T0), Op.GREATER_EQUAL),
                ("created_us", to_us(T0 + timedelta(days=1)), Op.LESS),
            ],
        ),
        (SearchFilter(), [], []),
    ],
    ids=["session", "kinds", "valid_only", "since", "until", "all", "empty"],
)
async def test_contract_filters_become_query_restricts(store, vertex, embedder, filter, tokens, numbers):
    """Contract (Vertex cannot run here): a SearchFilter becomes token restricts (allow lists; validity as a deny list)
    and numeric restricts on created_us with GREATER_EQUAL (since) and LESS (until), beside the user's restrict."""
    await store.search("ada", embedder.embed_sync(["tea"])[0], k=3, text="tea", filter=filter)
    (q,) = vertex.requests["FindNeighbors"][0].queries
    assert q.rrf.alpha == pytest.approx(DENSE_ALPHA)  # the default
    sent = [(r.namespace, list(r.allow_list), list(r.deny_list)) for r in q.datapoint.restricts]
    assert sent == [("user", ["ada"], []), *tokens]
    assert [(n.namespace, n.value_int, n.op) for n in q.datapoint.numeric_restricts] == numbers


async def test_contract_neighbours_outside_the_filter_are_dropped(store, vertex, embedder):
    """Contract (Vertex cannot run here): neighbours the filter does not admit (an index that ignored the restricts)
    never reach the caller; kinds=[] admits nothing and makes no call."""
    items = [
        fact("ada", "Ada prefers green tea.", "tea", session="s1", created_at=T0),
        fact("ada", "Ada used to drink coffee.", "coffee", session="s1", created_at=T0, invalidated_at=T0),
        fact("ada", "Ada drinks tea at work.", "work", session="s2", created_at=T0),
        fact("ada", "Ada drank tea last year.", "old", session="s1", created_at=T0 - timedelta(days=365)),
    ]
    vectors = embedder.embed_sync([i.text for i in items])
    await store.upsert(items, vectors)
    vertex.replies["FindNeighbors"].append(neighbors_response(sent_points(vertex), vectors, vectors[0]))
    only = SearchFilter(session="s1", since=T0 - timedelta(days=1), valid_only=True)
    assert [h.id for h in await store.search("ada", vectors[0], k=4, filter=only)] == ["tea"]
    assert await store.search("ada", vectors[0], filter=SearchFilter(kinds=[])) == []
    assert len(vertex.requests["FindNeighbors"]) == 1


async def test_contract_foreign_neighbours_are_dropped(store, vertex, embedder):
    """Contract (Vertex cannot run here): a neighbour of another user in a response (a misconfigured index)
    never reaches the caller: ids and restricts are checked against the asking user."""
    vectors = embedder.embed_sync([i.text for i in ITEMS])
    await store.upsert(ITEMS, vectors)
    points = [p for r in vertex.requests["UpsertDatapoints"] for p in r.datapoints]
    vertex.replies["FindNeighbors"].append(neighbors_response(points, vectors, vectors[2]))
    hits = await store.search("ada", vectors[2], k=3)
    assert {h.user for h in hits} == {"ada"} and len(hits) == 2
    forged = v1.IndexDatapoint(points[2])
    forged.datapoint_id = "ada:tea"  # an id of ada's with bob's restrict
    vertex.replies["FindNeighbors"].append(neighbors_response([forged], vectors[2:], vectors[2]))
    assert await store.search("ada", vectors[2], k=3) == []


async def test_contract_empty_response(store, vertex, embedder):
    """Contract (Vertex cannot run here): no neighbours (an empty index, or none for this user) is an empty list."""
    assert await store.search("carol", embedder.embed_sync(["tea"])[0]) == []
    assert await store.search("carol", embedder.embed_sync(["tea"])[0], k=0) == []
    assert len(vertex.requests["FindNeighbors"]) == 1


async def test_contract_remove_sends_the_users_ids(store, vertex):
    """Contract (Vertex cannot run here): RemoveDatapoints names the index and only the user's datapoint ids."""
    await store.delete("ada", ["tea", "tea", "never-stored", "rust"])
    sent = vertex.requests["RemoveDatapoints"]
    assert {r.index for r in sent} == {INDEX}
    assert [list(r.datapoint_ids) for r in sent] == [["ada:tea", "ada:never-stored"], ["ada:rust"]]
    await store.delete("ada", [])
    assert len(vertex.requests["RemoveDatapoints"]) == 2


async def test_contract_vectors_reads_the_users_datapoints(store, vertex):
    """Contract (Vertex cannot run here): `vectors` asks ReadIndexDatapoints for the user's datapoint ids only."""
    vertex.replies["ReadIndexDatapoints"].append(
        v1.ReadIndexDatapointsResponse(
            datapoints=[
                v1.IndexDatapoint(datapoint_id="ada:tea", feature_vector=[0.6, 0.8]),
                v1.IndexDatapoint(datapoint_id="bob:tea", feature_vector=[1.0, 0.0]),  # never asked for: ignored
            ]
        )
    )
    stored = await store.vectors("ada", ["tea", "tea", "gone"])
    (sent,) = vertex.requests["ReadIndexDatapoints"]
    assert (sent.index_endpoint, sent.deployed_index_id, list(sent.ids)) == (ENDPOINT, DEPLOYED, ["ada:tea", "ada:gone"])
    assert list(stored) == ["tea"] and np.allclose(stored["tea"], [0.6, 0.8])
    assert await store.vectors("ada", []) == {}
    assert len(vertex.requests["ReadIndexDatapoints"]) == 1


@pytest.mark.parametrize(
    "status", [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.RESOURCE_EXHAUSTED]
)
async def test_contract_transient_errors_are_unavailable(store, vertex, embedder, status):
    """Contract (Vertex cannot run here): transient gRPC statuses surface as MemoryUnavailable, on every call."""
    vector = embedder.embed_sync(["tea"])
    for method in ("FindNeighbors", "UpsertDatapoints", "RemoveDatapoints", "GetIndex"):
        vertex.replies[method].append(status)
    with pytest.raises(MemoryUnavailable):
        await store.search("ada", vector[0])
    with pytest.raises(MemoryUnavailable):
        await store.upsert(ITEMS[:1], vector)
    with pytest.raises(MemoryUnavailable):
        await store.delete("ada", ["tea"])
    with pytest.raises(MemoryUnavailable):
        await store.ping()


async def test_contract_permanent_errors_are_backend_errors(store, vertex, embedder):
    """Contract (Vertex cannot run here): a permission or argument error is a MemoryBackendError, not an outage."""
    for status in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.INVALID_ARGUMENT):
        vertex.replies["FindNeighbors"].append(status)
        with pytest.raises(MemoryBackendError) as caught:
            await store.search("ada", embedder.embed_sync(["tea"])[0])
        assert not isinstance(caught.value, MemoryUnavailable)


async def test_contract_unreachable_endpoint_is_unavailable(vertex, embedder):
    """Contract (Vertex cannot run here): a channel to nothing fails within the timeout as MemoryUnavailable."""
    dead = v1.MatchServiceAsyncClient(
        transport=MatchServiceGrpcAsyncIOTransport(channel=grpc.aio.insecure_channel("127.0.0.1:9"))
    )
    clients = {**vertex.clients(), "match_client": dead}
    store = VertexVectorStore(INDEX, ENDPOINT, DEPLOYED, timeout=2, **clients)
    with pytest.raises(MemoryUnavailable):
        await store.search("ada", embedder.embed_sync(["tea"])[0])
    for client in clients.values():
        await client.transport.close()


def test_contract_configuration_is_checked():
    """Contract (Vertex cannot run here): resource names are parsed; a public endpoint domain is required."""
    with pytest.raises(ValueError, match="not an index resource name"):
        VertexVectorStore("indexes/123", ENDPOINT, DEPLOYED, public_endpoint_domain="x.vdb.vertexai.goog")
    with pytest.raises(ValueError, match="public_endpoint_domain"):
        VertexVectorStore(INDEX, ENDPOINT, DEPLOYED)
    store = VertexVectorStore(INDEX, ENDPOINT, DEPLOYED, public_endpoint_domain="x.vdb.vertexai.goog")
    assert store.location == "europe-west1"
