"""`make load`: the chat service under load while its backends fail, on real servers. Exits 1 on any lost,
duplicated or leaked turn, any 5xx, or any request that failed outside the kill of the service.

    python tools/load.py [--sessions 200] [--turns 20]

It owns everything it starts, in a fresh folder under .run/load/: redis-server (append-only file, fsync on every
write, `volatile-lru`), the Cloud Firestore emulator, the OpenAI-compatible loopback server
(tools/openai_compat_server.py) as the provider, the real Portkey gateway in front of it with the deployed config
(config/portkey/gateway.json: retries, then a fallback model; its request timeout cut to 2 s so that a timeout
shows in seconds), and the service as `make run` starts it (uvicorn), configured as on Cloud Run: Redis for the
windows and the outbox, Firestore (the emulator) as the record, the gateway as the model, an admin key. Every
session (two per user) sends its turns one after another through `POST /v1/chat`; all sessions at once.

Faults, when a share of the turns has been answered:
- 10%: Redis killed -9, restarted 2 s later on the same port (its append-only file).
- 30%: the Firestore emulator frozen (SIGSTOP) for 10 s.
- 50%: the provider answers 429, then 503, then slower than the gateway's timeout.
- 70%: Firestore frozen; once turns have been acknowledged during the outage, the service is killed -9 and a
  fresh instance with an empty data folder started (as Cloud Run replaces an instance); Firestore thaws a few
  seconds after the new instance serves. Until it serves, requests wait, as Cloud Run holds them during a cold
  start; requests in flight at the kill were never answered and are counted apart (not retried: a client cannot
  know whether they were stored).

Then, once the outbox has drained, every session is read back through `GET /v1/users/{user}/sessions/{session}`.
- lost: an acknowledged turn (200) whose message or reply is not stored;
- duplicated: a message stored more than once;
- leaked: a stored message, a reply or a recalled item that names a session of another user.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
sys.path.insert(0, str(TOOLS))
from servers import ensure_portkey_gateway, firestore_argv, free_port, http_ok, redis_argv, redis_ping  # noqa: E402

ADMIN_KEY = "load-admin-" + secrets.token_hex(16)
# Variables of the caller's shell that would point the service elsewhere.
FOREIGN_ENV = (
    "REDIS_",
    "FIRESTORE_",
    "GOOGLE_",
    "VERTEX_",
    "OPENAI_",
    "PORTKEY_",
    "SERVICE_",
    "MEMORY_",
    "LLM_",
    "AGENT_",
)
SESSION_NAME = re.compile(r"\bl\d{3}\b")


class Process:
    """A server owned by this run: started (again on the same port), frozen, thawed, killed -9."""

    def __init__(self, name: str, argv: list[str], folder: Path, env: dict[str, str] | None = None):
        self.name, self.argv, self.folder, self.env = name, argv, folder, env
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.folder / f"{self.name}.log", "ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                start_new_session=True,
            )

    def signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        self.signal(signal.SIGCONT)
        self.signal(signal.SIGTERM)
        try:
            if self.proc is not None:
                self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


async def until(check, what: str, within_s: float) -> None:
    """Poll the blocking `check()` in a thread until it is true; fail loudly after `within_s` seconds."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            if await asyncio.to_thread(check):
                return
        except (OSError, httpx.HTTPError):
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError(f"{what} was not ready within {within_s:.0f}s")


@dataclass
class Turn:
    user: str
    session: str
    n: int
    message: str
    phase: str  # the fault going on when the answer (or the error) came
    instance: int  # which service process it was sent to (0: the first, 1: the fresh one)
    status: int | None = None  # None: no answer
    reply: str | None = None
    sent_at: float = 0.0  # time.monotonic() when the request left
    seconds: float | None = None
    error: str | None = None  # a transport error instead of an answer
    recalled_sessions: list[str] = field(default_factory=list)


class Cluster:
    """The servers and the service instance that takes traffic now (None while one starts)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.redis_port, self.fs_port, self.compat_port, self.port = free_port(), free_port(), free_port(), free_port()
        self.gateway_port = free_port()
        self.project = f"load-{secrets.token_hex(4)}"
        self.redis = Process("redis", redis_argv(self.redis_port, folder, "256mb"), folder)
        self.firestore = Process("firestore", firestore_argv(self.fs_port), folder)
        self.compat = Process(
            "openai-compat",
            [sys.executable, str(TOOLS / "openai_compat_server.py"), "--port", str(self.compat_port)],
            folder,
        )
        self.gateway = Process(
            "portkey",
            [
                shutil.which("node") or "node",
                str(ensure_portkey_gateway()),
                f"--port={self.gateway_port}",
                "--headless",
            ],
            folder,
        )
        config = json.loads((ROOT / "config" / "portkey" / "gateway.json").read_text())
        (folder / "gateway.json").write_text(json.dumps(config | {"request_timeout": 2000}))
        self.instances: list[Process] = []
        self.serving = asyncio.Event()
        self.url = f"http://127.0.0.1:{self.port}"
        self.compat_url = f"http://127.0.0.1:{self.compat_port}"

    def service_env(self, data_dir: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_ENV)}
        env.update(
            PYTHONUNBUFFERED="1",
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
            TOKENIZERS_PARALLELISM="false",
            ENVIRONMENT="test",
            SERVICE_API_KEYS=ADMIN_KEY,
            SERVICE_RATE_LIMIT_PER_MIN="0",
            REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            FIRESTORE_EMULATOR_HOST=f"127.0.0.1:{self.fs_port}",
            GOOGLE_CLOUD_PROJECT=self.project,
            PORTKEY_BASE_URL=f"http://127.0.0.1:{self.gateway_port}/v1",
            PORTKEY_CONFIG=str(self.folder / "gateway.json"),
            OPENAI_API_KEY="sk-load",
            OPENAI_BASE_URL=f"{self.compat_url}/v1",
            OPENAI_MODEL="echo",
            OPENAI_FALLBACK_MODEL="echo-fallback",
            LLM_FALLBACK_RETRY_S="2",
            AGENT_MAX_TOKENS="16",
            AGENT_TEMPERATURE="0",
            MEMORY_DATA_DIR=str(data_dir),
        )
        return env

    async def start_servers(self) -> None:
        for p in (self.redis, self.firestore, self.compat, self.gateway):
            p.start()
        await until(lambda: redis_ping(self.redis_port), "redis-server", 30)
        await until(lambda: http_ok(f"{self.compat_url}/_stats"), "the OpenAI-compatible server", 30)
        await until(lambda: http_ok(f"http://127.0.0.1:{self.gateway_port}/"), "the Portkey gateway", 30)
        await until(lambda: http_ok(f"http://127.0.0.1:{self.fs_port}/"), "the Firestore emulator", 90)

    async def start_instance(self) -> None:
        """A service process with an empty data folder on the service port; traffic flows once /readyz says 200."""
        n = len(self.instances)
        data = self.folder / f"instance-{n}"
        data.mkdir()
        argv = [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:app",
            "--app-dir",
            str(ROOT / "service"),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--timeout-keep-alive",
            "30",
        ]
        instance = Process(f"service-{n}", argv, self.folder, self.service_env(data))
        instance.start()
        self.instances.append(instance)
        await until(lambda: httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200, f"service {n}", 240)
        self.serving.set()

    def kill_instance(self) -> None:
        self.serving.clear()
        self.instances[-1].kill()

    async def restart_redis(self, down_s: float) -> None:
        self.redis.kill()
        await asyncio.sleep(down_s)
        self.redis.start()
        await until(lambda: redis_ping(self.redis_port), "redis-server (restarted)", 30)

    def stop(self) -> None:
        for p in [*self.instances, self.gateway, self.compat, self.firestore, self.redis]:
            p.stop()


class Load:
    """The sessions, what they were answered, and the faults, triggered as the answered share grows."""

    def __init__(self, cluster: Cluster, sessions: int, turns: int):
        self.cluster, self.sessions, self.turns = cluster, sessions, turns
        self.total = sessions * turns
        self.done: list[Turn] = []
        self.phase = "steady"
        self.killed_at: float | None = None  # time.monotonic() of the kill -9
        self.acknowledged_in_outage = 0  # turns answered 200 while Firestore was frozen, before the kill
        self.progress = asyncio.Condition()
        self.headers = {"Authorization": f"Bearer {ADMIN_KEY}"}

    async def turn(self, http: httpx.AsyncClient, user: str, session: str, n: int) -> Turn:
        message = f"{session} turn {n:02d} remember {secrets.token_hex(3)}"
        body = {"user": user, "session": session, "message": message}
        while True:
            await self.cluster.serving.wait()
            t = Turn(user, session, n, message, "", len(self.cluster.instances) - 1)
            t.sent_at = start = time.monotonic()
            try:
                r = await http.post(f"{self.cluster.url}/v1/chat", json=body, headers=self.headers)
            except httpx.ConnectError:  # nothing reached a server: sending it again cannot store it twice
                await asyncio.sleep(0.2)
                continue
            except httpx.TransportError as e:
                t.error = f"{type(e).__name__}: {e}"
            else:
                t.status = r.status_code
                if r.status_code == 200:
                    answer = r.json()
                    t.reply, t.recalled_sessions = answer["reply"], [i.get("session") or "" for i in answer["recalled"]]
                else:
                    t.reply = r.text[:300]
            t.seconds = time.monotonic() - start
            return t

    async def session(self, http: httpx.AsyncClient, i: int) -> None:
        user, session = f"u{i // 2:03d}", f"l{i:03d}"
        for n in range(self.turns):
            t = await self.turn(http, user, session, n)
            async with self.progress:
                t.phase = self.phase
                self.done.append(t)
                if t.status == 200 and self.phase == "firestore outage, then kill -9":
                    self.acknowledged_in_outage += 1
                self.progress.notify_all()

    async def reached(self, share: float) -> None:
        async with self.progress:
            await self.progress.wait_for(lambda: len(self.done) >= share * self.total)

    def note(self, what: str) -> None:
        print(f"load: {len(self.done):5d}/{self.total} answered  {what}", flush=True)

    async def faults(self) -> None:
        c = self.cluster
        await self.reached(0.10)
        self.phase = "redis killed"
        self.note("Redis killed -9")
        await c.restart_redis(down_s=2)
        self.note("Redis back")
        self.phase = "steady"

        await self.reached(0.30)
        self.phase = "firestore frozen 10 s"
        self.note("Firestore frozen")
        c.firestore.signal(signal.SIGSTOP)
        await asyncio.sleep(10)
        c.firestore.signal(signal.SIGCONT)
        self.note("Firestore thawed")
        self.phase = "steady"

        await self.reached(0.50)
        self.phase = "provider 429/503/timeouts"
        faults = [{"status": 429, "count": 20}, {"status": 503, "count": 20}, {"delay_ms": 3000, "count": 10}]
        async with httpx.AsyncClient() as http:
            await http.post(f"{c.compat_url}/_faults", json=faults)
            self.note("the provider fails: 20 x 429, 20 x 503, 10 answers past the timeout")
            for _ in range(600):  # at most 5 minutes
                if not (await http.get(f"{c.compat_url}/_faults")).json()["faults"]:
                    break
                await asyncio.sleep(0.5)
        self.note("the provider answers again")
        self.phase = "steady"

        await self.reached(0.70)
        self.phase = "firestore outage, then kill -9"
        c.firestore.signal(signal.SIGSTOP)
        self.note("Firestore frozen")
        async with self.progress:  # 20 turns acknowledged during the outage, or 30 s
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.progress.wait_for(lambda: self.acknowledged_in_outage >= 20), 30)
        self.killed_at = started = time.monotonic()
        c.kill_instance()
        self.note(f"service killed -9 after {self.acknowledged_in_outage} turns were acknowledged during the outage")
        self.phase = "fresh instance, Firestore still frozen"
        await c.start_instance()
        self.note(f"a fresh instance serves ({time.monotonic() - started:.0f} s after the kill)")
        await asyncio.sleep(3)
        c.firestore.signal(signal.SIGCONT)
        self.note("Firestore thawed")
        self.phase = "steady"

    async def run(self) -> None:
        limits = httpx.Limits(max_connections=self.sessions + 8, max_keepalive_connections=self.sessions + 8)
        async with httpx.AsyncClient(timeout=httpx.Timeout(180, connect=5), limits=limits) as http:
            faults = asyncio.create_task(self.faults())
            await asyncio.gather(*(self.session(http, i) for i in range(self.sessions)))
            await faults  # the last one began at 70% of the turns: it ends (thaws Firestore) on its own


async def drained(cluster: Cluster, headers: dict, within_s: float = 180) -> tuple[float, float]:
    """Wait until the outbox holds nothing; its (pending, dead letters) at the end."""
    pending = dead = None
    async with httpx.AsyncClient(timeout=30) as http:
        for _ in range(int(within_s)):
            text = (await http.get(f"{cluster.url}/metrics", headers=headers)).text
            pending = sum(float(m) for m in re.findall(r"^memory_outbox_pending\{[^}]*\} (\S+)$", text, re.M))
            dead = sum(float(m) for m in re.findall(r"^memory_outbox_dead_letters\{[^}]*\} (\S+)$", text, re.M))
            if pending == 0:
                break
            await asyncio.sleep(1)
    return pending, dead


async def stored(cluster: Cluster, headers: dict, sessions: int) -> dict[str, list[dict]]:
    """Every session's stored messages, read back through the API."""
    async with httpx.AsyncClient(timeout=60, headers=headers) as http:

        async def one(i: int) -> tuple[str, list[dict]]:
            user, session = f"u{i // 2:03d}", f"l{i:03d}"
            r = await http.get(f"{cluster.url}/v1/users/{user}/sessions/{session}")
            return session, (r.json()["messages"] if r.status_code == 200 else [])

        return dict(await asyncio.gather(*(one(i) for i in range(sessions))))


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else (values or [0.0])[0]


def verdict(load: Load, messages: dict[str, list[dict]]) -> dict:
    """Counts of what went wrong (each must be 0) and what the run measured."""
    owner = {f"l{i:03d}": f"u{i // 2:03d}" for i in range(load.sessions)}

    def foreign(user: str, text: str | None) -> set[str]:
        return {s for s in SESSION_NAME.findall(text or "") if owner.get(s, user) != user}

    stored = {session: Counter((m["role"], m["content"]) for m in ms) for session, ms in messages.items()}
    duplicated = sum(n - 1 for counts in stored.values() for n in counts.values() if n > 1)
    leaked = sum(bool(foreign(owner[session], m["content"])) for session, ms in messages.items() for m in ms)
    for t in load.done:
        leaked += bool(foreign(t.user, t.reply)) + sum(owner.get(s, t.user) != t.user for s in t.recalled_sessions)
    acknowledged = [t for t in load.done if t.status == 200]
    lost = sum(
        not (stored[t.session][("user", t.message)] and stored[t.session][("assistant", t.reply)]) for t in acknowledged
    )
    unanswered = [t for t in load.done if t.error is not None]
    killed_at = load.killed_at if load.killed_at is not None else float("inf")
    in_kill = [t for t in unanswered if t.sent_at <= killed_at <= t.sent_at + t.seconds]
    stored_anyway = sum(bool(stored[t.session][("user", t.message)]) for t in in_kill)
    seconds = [t.seconds for t in acknowledged]
    phases = {}
    for phase in dict.fromkeys(t.phase for t in load.done):
        took = [t.seconds for t in acknowledged if t.phase == phase]
        phases[phase] = {
            "answered": len(took),
            "p50_s": round(percentile(took, 50), 3) if took else None,
            "p99_s": round(percentile(took, 99), 3) if took else None,
        }
    return {
        "requests": len(load.done),
        "answered_200": len(acknowledged),
        "4xx": sum(t.status is not None and 400 <= t.status < 500 for t in load.done),
        "5xx": sum(t.status is not None and t.status >= 500 for t in load.done),
        "in_flight_at_kill": len(in_kill),
        "in_flight_at_kill_stored": stored_anyway,
        "other_errors": len(unanswered) - len(in_kill),
        "acknowledged_during_outage_before_kill": load.acknowledged_in_outage,
        "lost": lost,
        "duplicated": duplicated,
        "leaked": leaked,
        "p50_s": round(percentile(seconds, 50), 3),
        "p99_s": round(percentile(seconds, 99), 3),
        "phases": phases,
    }


async def main(sessions: int, turns: int) -> int:
    folder = ROOT / ".run" / "load" / time.strftime("%Y%m%dT%H%M%S")
    folder.mkdir(parents=True)
    cluster = Cluster(folder)
    began = time.monotonic()
    try:
        await cluster.start_servers()
        await cluster.start_instance()
        print(f"load: servers and the service up in {time.monotonic() - began:.0f} s; logs in {folder}", flush=True)
        load = Load(cluster, sessions, turns)
        loaded = time.monotonic()
        await load.run()
        load_s = time.monotonic() - loaded
        headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        pending, dead = await drained(cluster, headers)
        async with httpx.AsyncClient() as http:
            by_model = (await http.get(f"{cluster.compat_url}/_stats")).json()["requests"]
        report = verdict(load, await stored(cluster, headers, sessions))
        report |= {
            "outbox_pending_at_end": pending,
            "dead_letters": dead,
            "load_s": round(load_s, 1),
            "turns_per_s": round(len(load.done) / load_s, 1),
            "provider_requests_by_model": by_model,
            "answers_by_the_local_model": sum(
                (folder / f"{p.name}.log").read_text(errors="replace").count("answering with local")
                for p in cluster.instances
            ),
        }
    finally:
        cluster.stop()
    report["wall_s"] = round(time.monotonic() - began, 1)
    (folder / "report.json").write_text(json.dumps(report | {"turns": [asdict(t) for t in load.done]}, indent=1))
    print(json.dumps({k: v for k, v in report.items() if k != "phases"}, indent=1))
    for phase, figures in report["phases"].items():
        print(f"  {phase:40s} {figures}")
    bad = {k: report[k] for k in ("lost", "duplicated", "leaked", "5xx", "other_errors", "dead_letters")} | {
        "outbox not drained": report["outbox_pending_at_end"],
        "no turn acknowledged during the outage": int(report["acknowledged_during_outage_before_kill"] == 0),
    }
    failed = {k: v for k, v in bad.items() if v}
    print(f"load: {'FAILED ' + json.dumps(failed) if failed else 'passed'} in {report['wall_s']:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--turns", type=int, default=20)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.sessions, args.turns)))
