"""LocalEmbedder: the real all-MiniLM-L6-v2 model from the installed package, offline, on CPU or GPU."""

import asyncio

import numpy as np
import pytest

from agent_lib.embed import LocalEmbedder, model_dir
from agent_lib.memory.base import Embedder

TEXTS = [
    "Ada prefers green tea in the morning.",
    "In the mornings Ada likes to drink tea.",
    "The quarterly report shows revenue grew by four percent.",
    "Ada's favourite drink is coffee, black, no sugar.",
    "ok",
    "A much longer text about a trip: " + "we walked along the river and talked about books. " * 40,
]


@pytest.fixture(scope="module")
def embedder() -> LocalEmbedder:
    """One model for the module (loading it is the slow part)."""
    return LocalEmbedder(batch_size=4)


@pytest.fixture(scope="module")
def vectors(embedder) -> np.ndarray:
    return asyncio.run(embedder.embed(TEXTS))


def test_protocol_and_attributes(embedder):
    assert isinstance(embedder, Embedder)
    assert (embedder.name, embedder.dim) == ("all-MiniLM-L6-v2", 384)
    assert embedder.device == "cpu" or embedder.device.startswith("cuda:")
    assert embedder.path == model_dir()


def test_shape_dtype_unit_rows(vectors):
    assert vectors.shape == (len(TEXTS), 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


async def test_empty_input(embedder):
    out = await embedder.embed([])
    assert out.shape == (0, 384) and out.dtype == np.float32


def test_batching_equals_one_by_one(embedder, vectors):
    one_by_one = np.concatenate([embedder.embed_sync([t]) for t in TEXTS])
    np.testing.assert_allclose(one_by_one, vectors, atol=1e-5)


async def test_order_is_kept(embedder, vectors):
    np.testing.assert_allclose((await embedder.embed(TEXTS[::-1]))[::-1], vectors, atol=1e-5)


def test_matches_sentence_transformers(embedder, vectors):
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(model_dir()), device=embedder.device).encode(
        TEXTS, normalize_embeddings=True, convert_to_numpy=True
    )
    np.testing.assert_allclose(vectors, reference, atol=1e-5)


def test_semantic_ordering(vectors):
    sims = vectors[0] @ vectors.T
    assert sims[1] > sims[3] > sims[2]  # paraphrase > related fact > unrelated


async def test_concurrent_calls_share_one_model(embedder, vectors):
    results = await asyncio.gather(*(embedder.embed([t]) for t in TEXTS))
    np.testing.assert_allclose(np.concatenate(results), vectors, atol=1e-5)
