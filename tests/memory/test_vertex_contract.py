"""VertexVectorStore against the Vertex AI SDK's contract.

Vertex AI Vector Search cannot run here (no emulator exists). These tests check the adapter against the SDK's
contract instead: the real `google.cloud.aiplatform_v1` async clients with their real gRPC transports, over a real
channel, to an in-process gRPC server standing in for Vertex. The server decodes the wire bytes into the real
request messages, records them, and answers with real response messages or real gRPC status codes. What the service
does with a request (that restricts filter, how fast streaming updates become searchable) needs a real index.
"""

from collections import defaultdict

import grpc
import numpy as np
import pytest
from google.cloud import aiplatform_v1 as v1
from google.cloud.aiplatform_v1.services.index_service.transports import IndexServiceGrpcAsyncIOTransport
from google.cloud.aiplatform_v1.services.match_service.transports import MatchServiceGrpcAsyncIOTransport

from agent_lib.core import MemoryItem
from agent_lib.embed import LocalEmbedder
from agent_lib.memory.base import MemoryBackendError, MemoryUnavailable, VectorStore
from agent_lib.memory.vertex import VertexVectorStore

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
    assert [restricts(p) for p in points] == [[("user", ["ada"])], [("user", ["ada"])], [("user", ["bob"])]]
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
    np.testing.assert_allclose(list(q.datapoint.feature_vector), query, atol=1e-6)
    assert [h.id for h in hits] == ["tea", "peanuts"]
    assert hits[0].model_dump(exclude={"score"}) == ITEMS[0].model_dump(exclude={"score"})
    assert abs(hits[0].score - float(vectors[0] @ query)) < 1e-6
    assert hits[0].score > hits[1].score


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
