"""The deprecated synchronous Firestore V1 path: it warns, and every call lands in V2's documents.

Runs against the shared emulator under a project id of this test alone; what the shim wrote is read
back with the SDK's own synchronous client, the way V1 code used to read it.
"""

import threading
from datetime import UTC, datetime

import pytest
from google.cloud import firestore

from agent_lib.core import MemoryItem, Message, Tier
from agent_lib.memory.firestore_v1 import FirestoreMemoryV1


def test_constructing_the_v1_shim_warns_deprecation(firestore_project):
    with pytest.warns(DeprecationWarning, match="FirestoreMidTerm") as caught:
        v1 = FirestoreMemoryV1(project=firestore_project)
    v1.close()
    assert caught[0].filename == __file__  # the warning points at the caller, not at the shim


def test_v1_calls_reach_the_v2_documents(firestore_project):
    with pytest.warns(DeprecationWarning):
        v1 = FirestoreMemoryV1(project=firestore_project, timeout=20)
    with v1:
        first = v1.save_message("ada", "s1", "user", "Tea with lemon, please.")
        later = Message(
            user="ada",
            session="s1",
            role="assistant",
            content="Noted.",
            created_at=datetime(2100, 1, 1, tzinfo=UTC),
        )
        v1.add_turns([later])
        v1.set_summary("ada", "s1", "Ada wants tea.", upto=later.created_at)
        v1.add_facts(
            [MemoryItem(id="f1", user="ada", session="s1", tier=Tier.mid, kind="fact", text="Ada takes lemon.")]
        )
        history, info = v1.get_history("ada", "s1"), v1.session("ada", "s1")
        facts, sessions = v1.facts("ada"), v1.sessions("ada")
        calls_from_a_thread = []
        worker = threading.Thread(target=lambda: calls_from_a_thread.append(v1.turns("ada", "s1", limit=1)))
        worker.start()
        worker.join()
    assert history == [
        {"role": "user", "content": "Tea with lemon, please."},
        {"role": "assistant", "content": "Noted."},
    ]
    assert (info.turns, info.summary) == (2, "Ada wants tea.")
    assert [f.text for f in facts] == ["Ada takes lemon."] and [s.session for s in sessions] == ["s1"]
    assert calls_from_a_thread == [[later]]

    client = firestore.Client(project=firestore_project)  # V1's own way of reading: the SDK's synchronous client
    session = client.collection("users").document("ada").collection("sessions").document("s1")
    turns = {d.id: d.to_dict() for d in session.collection("turns").stream()}
    assert turns[first]["content"] == "Tea with lemon, please."
    assert turns[later.id]["role"] == "assistant"
    assert session.get().get("turns") == 2
    assert client.document("users/ada/facts/f1").get().get("text") == "Ada takes lemon."


def test_closing_the_shim_stops_its_thread(firestore_project):
    with pytest.warns(DeprecationWarning):
        v1 = FirestoreMemoryV1(project=firestore_project)
    v1.ping()
    v1.close()
    v1.close()  # twice is harmless
    assert not v1._thread.is_alive()
