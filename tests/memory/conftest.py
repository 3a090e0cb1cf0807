"""Fixtures for the mid-term tests: a Firestore project per test on the shared emulator, and a private
emulator that tests stop and start.

The shared emulator (`FIRESTORE_EMULATOR_HOST`, started by `make test`) is never reset as a whole: each
test writes under a project id of its own (`namespace`), and that project's documents are deleted
afterwards through the emulator's REST endpoint.
"""

import importlib.util
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from google.cloud import firestore

_spec = importlib.util.spec_from_file_location("servers", Path(__file__).resolve().parents[2] / "tools" / "servers.py")
servers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(servers)


def wipe_project(host: str, project: str) -> None:
    """Delete every document of `project` in the emulator at `host` (host:port)."""
    url = f"http://{host}/emulator/v1/projects/{project}/databases/(default)/documents"
    with urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=10) as r:
        assert r.status == 200, f"emulator refused to wipe {project}: {r.status}"


@pytest.fixture
def firestore_project(firestore_emulator, namespace):
    """A Firestore project id used by this test alone on the shared emulator; wiped afterwards."""
    yield namespace
    wipe_project(firestore_emulator, namespace)


class PrivateEmulator:
    """A Cloud Firestore emulator on a fixed loopback port, stopped and started by the tests.

    Its data lives in memory: after `stop()` and `start()` it is empty, on the same port.
    """

    def __init__(self, port: int, log: Path):
        self.port, self.host, self.log = port, f"127.0.0.1:{port}", log
        self.proc: subprocess.Popen | None = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{self.host}/", timeout=0.5) as r:
                return r.read().startswith(b"Ok")
        except (OSError, urllib.error.URLError):
            return False

    def start(self, timeout: float = 60) -> None:
        """Start the emulator and wait (bounded) until it answers."""
        assert not self.running, "already running"
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    shutil.which("java") or "java",
                    "-cp",
                    str(servers.firestore_emulator_jar()),
                    "com.google.cloud.datastore.emulator.firestore.CloudFirestore",
                    "start",
                    "--host=127.0.0.1",
                    f"--port={self.port}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while not self._answers():
            assert self.proc.poll() is None, f"emulator exited with {self.proc.returncode}; see {self.log}"
            assert time.monotonic() < deadline, f"emulator not ready within {timeout}s; see {self.log}"
            time.sleep(0.05)
        self._warm_up(timeout)

    def _warm_up(self, timeout: float) -> None:
        """One gRPC read, so that a test's first call (with its short deadline) does not pay the JVM's cold start."""
        saved = os.environ.get("FIRESTORE_EMULATOR_HOST")
        os.environ["FIRESTORE_EMULATOR_HOST"] = self.host  # the SDK's Client reads it when built
        try:
            client = firestore.Client(project="warm-up")
            client.document("warm/up").get(timeout=timeout)
            client._firestore_api.transport.close()  # the SDK's Client has no close(); its GAPIC transport does
        finally:
            if saved is None:
                os.environ.pop("FIRESTORE_EMULATOR_HOST")
            else:
                os.environ["FIRESTORE_EMULATOR_HOST"] = saved

    def stop(self) -> None:
        """Stop the emulator (its process group) and wait until it is gone."""
        if not self.running:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=15)
        self.proc = None


@pytest.fixture(scope="module")
def private_firestore(tmp_path_factory):
    """A private Firestore emulator for this module's tests, which may stop and start it (same port)."""
    emulator = PrivateEmulator(servers.free_port(), tmp_path_factory.mktemp("firestore") / "emulator.log")
    emulator.start()
    yield emulator
    emulator.stop()
