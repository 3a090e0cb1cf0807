"""A deterministic OpenAI-compatible HTTP server for tests and notebooks: the official clients talk to it.

    python tools/openai_compat_server.py --port 8000 [--host 127.0.0.1] [--dim 384]

Endpoints: POST /v1/chat/completions (JSON, or server-sent events ending in `data: [DONE]`), POST /v1/embeddings,
GET /v1/models, and GET /_stats (requests per model name, so tests can prove that a gateway retried).

Replies are derived from the request, never random. A token is a whitespace-separated word.
- chat: `echo: <last user message>`, cut at `max_completion_tokens` / `max_tokens` (finish_reason `length`);
  after a tool result (the last message has role `tool`): `tool result: <its content>`.
- streaming: one chunk per token; with `stream_options.include_usage`, a last chunk with no choices and the usage.
- tool calls (non-streaming requests): when `tools` are given and the last user message is
  `call <tool> [<json arguments>]` naming one of them, the reply is that call, its arguments passed through
  verbatim (`{}` when omitted), finish_reason `tool_calls`.
- embeddings: the lower-cased words hashed into `dimensions` (default --dim) buckets with a sign, L2-normalised,
  so texts that share words are similar; `encoding_format` float or base64 (float32, little-endian).
Failures on demand, chosen by the model name (a gateway passes it to the server unchanged):
- `error-<status>`: always answers <status> with an OpenAI error body.
- `flaky-<status>-<n>-<anything>`: <status> for the first n requests of that exact name, then normal replies.
- `slow-<ms>[-<anything>]`: waits <ms> milliseconds, then answers normally.
Failures at run time, for a client whose model name is fixed (`make load` uses them):
- `POST /_faults` with `[{"status": 429, "count": 20}, {"delay_ms": 5000, "count": 10}, ...]`: the next chat
  requests, in order, answer that status (or wait that long, then answer normally); `GET /_faults` lists what
  is left.
A request without `Authorization: Bearer <key>` is answered 401, as OpenAI does; any key is accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import itertools
import json
import re
import time
from collections import Counter

import numpy as np
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
}
ERROR_TYPES |= {408: "timeout_error", 409: "conflict_error", 429: "rate_limit_error"}
CALL = re.compile(r"\s*call\s+([A-Za-z0-9_-]{1,64})(?:\s+(.*\S))?\s*", re.DOTALL)
ERROR_MODEL = re.compile(r"error-(\d{3})")
FLAKY_MODEL = re.compile(r"flaky-(\d{3})-(\d+)-.+")
SLOW_MODEL = re.compile(r"slow-(\d+)(?:-.*)?")
MODELS = ["echo", "text-embedding-hash"]  # what GET /v1/models lists; any model name is answered


def error(status: int, message: str, code: str | None = None) -> JSONResponse:
    """An OpenAI-style error response."""
    kind = ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return JSONResponse({"error": {"message": message, "type": kind, "param": None, "code": code}}, status)


def words(text: str) -> list[str]:
    return text.split()


def with_total(usage: dict) -> dict:
    return {**usage, "total_tokens": usage["prompt_tokens"] + usage["completion_tokens"]}


def unauthorised(request: Request) -> Response | None:
    """The 401 OpenAI answers when no key is sent, else None."""
    if request.headers.get("authorization", "").removeprefix("Bearer ").strip():
        return None
    return error(401, "You didn't provide an API key (Authorization: Bearer ...).", "invalid_api_key")


def text_of(content) -> str:
    """The text of a message's content: a string, a list of parts, or None (an assistant's tool call)."""
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content or ""


def embed(text: str, dim: int) -> np.ndarray:
    """A unit vector for `text`: signed feature hashing of its lower-cased words (the empty text: a basis vector)."""
    v = np.zeros(dim, dtype=np.float32)
    for w in re.findall(r"\w+", text.lower()) or [""]:
        h = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little")
        v[h % dim] += 1.0 if h >> 63 else -1.0
    norm = float(np.linalg.norm(v))
    return v / norm if norm else np.eye(1, dim, dtype=np.float32)[0]


class CompatServer:
    """The app and its state: request counts per model, ids."""

    def __init__(self, dim: int = 384):
        self.dim = dim
        self.requests: Counter[str] = Counter()
        self._ids = itertools.count(1)
        self._faults: list[dict] = []  # failures still to serve, in order: {"status" or "delay_ms", "count"}
        self.app = Starlette(
            routes=[
                Route("/v1/chat/completions", self.chat, methods=["POST"]),
                Route("/v1/embeddings", self.embeddings, methods=["POST"]),
                Route("/v1/models", self.models, methods=["GET"]),
                Route("/_stats", self.stats, methods=["GET"]),
                Route("/_faults", self.faults, methods=["GET", "POST"]),
            ]
        )

    async def _admit(self, request: Request) -> tuple[dict, Response | None]:
        """The JSON body, or the error response this request gets (auth, bad JSON, a failure asked for)."""
        if refused := unauthorised(request):
            return {}, refused
        try:
            body = await request.json()
        except ValueError:
            return {}, error(400, "The body is not valid JSON.")
        if not isinstance(body, dict):
            return {}, error(400, "The body must be a JSON object.")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return body, error(400, "`model` is required.", "missing_model")
        self.requests[model] += 1
        if m := ERROR_MODEL.fullmatch(model):
            return body, error(int(m[1]), f"{model}: failing as asked", model)
        if (m := FLAKY_MODEL.fullmatch(model)) and self.requests[model] <= int(m[2]):
            return body, error(int(m[1]), f"{model}: failure {self.requests[model]} of {m[2]}", model)
        if m := SLOW_MODEL.fullmatch(model):
            await asyncio.sleep(int(m[1]) / 1000)
        return body, None

    async def _fault(self, model: str) -> Response | None:
        """The next failure asked for at run time, if any is left."""
        if not self._faults:
            return None
        fault = self._faults[0]
        fault["count"] -= 1
        if fault["count"] <= 0:
            self._faults.pop(0)
        if "delay_ms" in fault:
            await asyncio.sleep(fault["delay_ms"] / 1000)
            return None
        return error(fault["status"], f"{model}: failing as asked at run time")

    async def chat(self, request: Request) -> Response:
        body, failure = await self._admit(request)
        if failure or (failure := await self._fault(body["model"])):
            return failure
        messages = body.get("messages") or []
        if not isinstance(messages, list) or not messages:
            return error(400, "`messages` must be a non-empty list.")
        prompt_tokens = sum(len(words(text_of(m.get("content")))) for m in messages)
        cid, created, model = f"chatcmpl-{next(self._ids):08d}", int(time.time()), body["model"]
        tool = None if body.get("stream") else self._tool_call(body, messages)
        if tool:
            message = {"role": "assistant", "content": None, "tool_calls": [tool]}
            choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": "tool_calls"}
            f = tool["function"]
            usage = {"prompt_tokens": prompt_tokens, "completion_tokens": len(words(f"{f['name']} {f['arguments']}"))}
            return JSONResponse(self._completion(cid, created, model, choice, usage))
        tokens, finish = self._reply(messages, body.get("max_completion_tokens") or body.get("max_tokens"))
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": len(tokens)}
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            events = self._events(cid, created, model, tokens, finish, usage if include_usage else None)
            return StreamingResponse(events, media_type="text/event-stream", headers={"cache-control": "no-cache"})
        message = {"role": "assistant", "content": "".join(tokens)}
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
        return JSONResponse(self._completion(cid, created, model, choice, usage))

    @staticmethod
    def _completion(cid: str, created: int, model: str, choice: dict, usage: dict) -> dict:
        head = {"id": cid, "object": "chat.completion", "created": created, "model": model}
        return head | {"choices": [choice], "usage": with_total(usage)}

    @staticmethod
    def _tool_call(body: dict, messages: list[dict]) -> dict | None:
        """The tool call the last user message asks for, when it names one of `tools`."""
        names = {(t.get("function") or {}).get("name") for t in body.get("tools") or []}
        if not names or body.get("tool_choice") == "none" or messages[-1].get("role") != "user":
            return None
        m = CALL.fullmatch(text_of(messages[-1].get("content")))
        if not m or m[1] not in names:
            return None
        arguments = m[2] or "{}"
        call_id = "call_" + hashlib.sha256(f"{m[1]} {arguments}".encode()).hexdigest()[:24]
        return {"id": call_id, "type": "function", "function": {"name": m[1], "arguments": arguments}}

    @staticmethod
    def _reply(messages: list[dict], max_tokens: int | None) -> tuple[list[str], str]:
        """The reply as tokens (each word with the space before it) and its finish reason."""
        last = messages[-1]
        if last.get("role") == "tool":
            text = f"tool result: {text_of(last.get('content'))}"
        else:
            user = next((m for m in reversed(messages) if m.get("role") == "user"), {})
            text = f"echo: {text_of(user.get('content'))}"
        tokens = [w if i == 0 else f" {w}" for i, w in enumerate(words(text))]
        if max_tokens is not None and len(tokens) > max_tokens:
            return tokens[:max_tokens], "length"
        return tokens, "stop"

    @staticmethod
    async def _events(cid: str, created: int, model: str, tokens: list[str], finish: str, usage: dict | None):
        """Server-sent events: a role chunk, one chunk per token, the finish chunk, the usage chunk, [DONE]."""
        extra = {"usage": None} if usage is not None else {}

        def chunk(delta: dict, finish_reason: str | None = None) -> str:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            body = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model}
            return f"data: {json.dumps(body | {'choices': [choice]} | extra)}\n\n"

        yield chunk({"role": "assistant", "content": ""})
        for token in tokens:
            yield chunk({"content": token})
        yield chunk({}, finish)
        if usage is not None:
            body = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model}
            yield f"data: {json.dumps(body | {'choices': [], 'usage': with_total(usage)})}\n\n"
        yield "data: [DONE]\n\n"

    async def embeddings(self, request: Request) -> Response:
        body, failure = await self._admit(request)
        if failure:
            return failure
        texts = body.get("input")
        texts = [texts] if isinstance(texts, str) else texts
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            return error(400, "`input` must be a string or a non-empty list of strings (token arrays are not served).")
        dim = body.get("dimensions") or self.dim
        if not isinstance(dim, int) or not 1 <= dim <= 4096:
            return error(400, "`dimensions` must be an integer in [1, 4096].")
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for i, text in enumerate(texts):
            v = embed(text, dim)
            vector = base64.b64encode(v.astype("<f4").tobytes()).decode() if as_base64 else v.tolist()
            data.append({"object": "embedding", "index": i, "embedding": vector})
        tokens = sum(len(words(t)) for t in texts)
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        return JSONResponse({"object": "list", "data": data, "model": body["model"], "usage": usage})

    async def models(self, request: Request) -> Response:
        if refused := unauthorised(request):
            return refused
        data = [{"id": i, "object": "model", "created": 0, "owned_by": "openai-compat-server"} for i in MODELS]
        return JSONResponse({"object": "list", "data": data})

    async def stats(self, request: Request) -> Response:
        return JSONResponse({"requests": dict(self.requests)})

    async def faults(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                asked = await request.json()
                for fault in asked:
                    valid = ("status" in fault) != ("delay_ms" in fault) and int(fault["count"]) > 0
                    if (
                        not valid
                        or not 100 <= int(fault.get("status", 500)) <= 599
                        or int(fault.get("delay_ms", 0)) < 0
                    ):
                        raise ValueError(fault)
            except (ValueError, TypeError, KeyError) as e:
                return error(400, f"faults: a list of {{'status' or 'delay_ms', 'count'}} objects, not {e}")
            self._faults.extend({k: int(v) for k, v in fault.items()} for fault in asked)
        return JSONResponse({"faults": self._faults})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--dim", type=int, default=384, help="embedding dimension when a request names none")
    args = parser.parse_args()
    uvicorn.run(CompatServer(args.dim).app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
