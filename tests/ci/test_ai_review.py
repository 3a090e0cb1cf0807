"""tools/ai_review.py against a real HTTP server on loopback standing in for Portkey's gateway.

The script runs as CI runs it (a subprocess, settings from the environment); the server records the request
the Portkey SDK actually sent and answers like Portkey's OpenAI-compatible `/v1/chat/completions`.
"""

import importlib.util
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools/ai_review.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("ai_review", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ai_review = _load_script()


class Gateway:
    """A loopback HTTP server that records requests and replies with a fixed status and body."""

    def __init__(self, status: int = 200, reply: str = "### Architecture drift\n- [x] Nothing found."):
        self.requests: list[dict] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                gateway.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                payload = (
                    {
                        "id": "chatcmpl-test",
                        "object": "chat.completion",
                        "created": 1700000000,
                        "model": body.get("model"),
                        "choices": [
                            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": reply}}
                        ],
                        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
                    }
                    if status == 200
                    else {"error": {"message": "invalid api key", "type": "authentication_error"}}
                )
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def run_script(tmp_path: Path, env: dict[str, str], diff: str = "diff --git a/x.py b/x.py\n+print('hi')\n"):
    (tmp_path / "pr.diff").write_text(diff)
    (tmp_path / "ARCH.md").write_text("# Architecture\nagent_lib never imports service.\n")
    base = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY") and not k.startswith("PORTKEY")}
    cmd = [sys.executable, str(SCRIPT), "--diff", str(tmp_path / "pr.diff"), "--out", str(tmp_path / "review.md")]
    cmd += ["--architecture", str(tmp_path / "ARCH.md")]
    return subprocess.run(cmd, env={**base, "NO_PROXY": "*", **env}, capture_output=True, text=True, timeout=120)


def test_sends_prompt_architecture_and_diff_through_portkey_and_writes_the_checklist(tmp_path):
    with Gateway(reply="### Architecture drift\n- [ ] x.py:1 prints instead of logging.") as gw:
        env = {
            "PORTKEY_API_KEY": "pk-test-key",
            "PORTKEY_CONFIG": "pc-review-123",
            "PORTKEY_VIRTUAL_KEY": "vk-openai-456",
            "AI_REVIEW_MODEL": "gpt-test",
            "PORTKEY_BASE_URL": gw.url,
        }
        done = run_script(tmp_path, env)
    assert done.returncode == 0, done.stderr
    (req,) = gw.requests
    assert req["path"] == "/v1/chat/completions"
    headers = {k.lower(): v for k, v in req["headers"].items()}
    assert headers["x-portkey-api-key"] == "pk-test-key"
    assert headers["x-portkey-config"] == "pc-review-123"
    assert headers["x-portkey-virtual-key"] == "vk-openai-456"
    assert json.loads(headers["x-portkey-metadata"])["prompt_version"] == "1"
    body = req["body"]
    assert body["model"] == "gpt-test" and body["temperature"] == 0.2
    system, user = body["messages"]
    assert system == {"role": "system", "content": (ROOT / ".github/prompts/ai_review.md").read_text()}
    assert user["role"] == "user"
    assert "agent_lib never imports service." in user["content"]
    assert "+print('hi')" in user["content"]
    review = (tmp_path / "review.md").read_text()
    assert review.startswith(ai_review.MARKER)
    assert "- [ ] x.py:1 prints instead of logging." in review and "prompt ai_review v1" in review


def test_without_a_portkey_key_the_review_is_skipped(tmp_path):
    with Gateway() as gw:
        done = run_script(tmp_path, {"PORTKEY_BASE_URL": gw.url})
    assert done.returncode == 0
    assert "review skipped" in done.stderr
    assert gw.requests == [] and not (tmp_path / "review.md").exists()


def test_a_rejected_key_fails_the_step_loudly(tmp_path):
    with Gateway(status=401) as gw:
        done = run_script(tmp_path, {"PORTKEY_API_KEY": "pk-bad", "PORTKEY_BASE_URL": gw.url})
    assert done.returncode != 0
    assert gw.requests, "the request reached the gateway"
    assert not (tmp_path / "review.md").exists()


def test_long_diffs_are_truncated_with_a_note():
    messages = ai_review.build_messages("P", "A", "x" * 50, max_diff_chars=20)
    assert "x" * 20 + "\n... [diff truncated: 30 more characters]" in messages[1]["content"]
    assert "x" * 21 not in messages[1]["content"]


@pytest.mark.parametrize(
    ("first_line", "version"), [("<!-- prompt: ai_review, version: 7 -->", "7"), ("no header", "unversioned")]
)
def test_prompt_version_comes_from_the_prompt_files_first_line(first_line, version):
    assert ai_review.prompt_version(first_line + "\nbody") == version
    assert ai_review.prompt_version((ROOT / ".github/prompts/ai_review.md").read_text()) == "1"
