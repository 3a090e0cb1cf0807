"""POST /v1/chat/completions: the OpenAI chat-completions API over the agent, for OpenAI clients unchanged.

The memory's owner is the user token's user, or with an admin key the body's `user` (required: there is no shared
default user). The `X-Session-Id` header names the conversation; without it, the session is derived from the
conversation's opening (its first system message and first user message, which OpenAI clients resend with every
turn), so each conversation keeps its own session. The response's `X-Session-Id` header says which one was used.
The last user message is the turn and memory supplies the context (earlier messages of the request are not
replayed: the service remembers them itself).
"""

import time
import uuid
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Response, status
from fastapi.responses import StreamingResponse
from openai.types import CompletionUsage
from openai.types.chat import ChatCompletion, ChatCompletionChunk, ChatCompletionMessage
from openai.types.chat.chat_completion import Choice
from openai.types.chat.chat_completion_chunk import Choice as ChunkChoice
from openai.types.chat.chat_completion_chunk import ChoiceDelta

from agent_lib.agent import Reply
from agent_lib.core import IDENT_PATTERN
from agent_lib.llm.base import Delta, Usage
from app.api.deps import AgentDep, CallerDep
from app.api.streaming import SSE_HEADERS, encode, first_event, reason, sse
from app.core.metrics import record_reply
from app.schemas import ChatCompletionRequest

router = APIRouter(prefix="/v1", tags=["openai"])

SessionHeader = Annotated[
    str | None,
    Header(
        alias="X-Session-Id",
        pattern=IDENT_PATTERN,
        description="the conversation; default: derived from the conversation's opening messages",
    ),
]


def completion_usage(u: Usage) -> CompletionUsage:
    return CompletionUsage(
        prompt_tokens=u.prompt_tokens, completion_tokens=u.completion_tokens, total_tokens=u.total_tokens
    )


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "headers": {"X-Session-Id": {"description": "the session the turn went to", "schema": {"type": "string"}}},
        }
    },
)
async def chat_completions(
    body: ChatCompletionRequest, agent: AgentDep, caller: CallerDep, response: Response, session: SessionHeader = None
):
    """One turn in OpenAI's format; with `stream: true`, `chat.completion.chunk` events ending with `data: [DONE]`."""
    user = caller.user_for(body.user)
    session = session or body.session_of_conversation()
    completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    if not body.stream:
        try:
            reply = await agent.chat(user, session, body.turn, body.reply_tokens, body.temperature)
        except ValueError as e:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(e)) from e
        record_reply(reply)
        response.headers["X-Session-Id"] = session
        message = ChatCompletionMessage(role="assistant", content=reply.reply)
        return ChatCompletion(
            id=completion_id,
            object="chat.completion",
            created=created,
            model=reply.model,
            choices=[Choice(index=0, message=message, finish_reason=reply.finish_reason or "stop")],
            usage=completion_usage(reply.usage),
        )
    events = agent.stream(user, session, body.turn, body.reply_tokens, body.temperature)
    first = await first_event(events)
    model = agent.llm.model
    include_usage = bool(body.stream_options and body.stream_options.include_usage)

    def chunk(delta: ChoiceDelta, finish: str | None = None, usage: Usage | None = None) -> bytes:
        choices = [] if usage is not None else [ChunkChoice(index=0, delta=delta, finish_reason=finish)]
        return sse(
            ChatCompletionChunk(
                id=completion_id,
                object="chat.completion.chunk",
                created=created,
                model=model,
                choices=choices,
                usage=completion_usage(usage) if usage is not None else None,
            )
        )

    def on_delta(d: Delta) -> bytes | None:
        return chunk(ChoiceDelta(content=d.text)) if d.text else None

    def on_reply(r: Reply) -> list[bytes]:
        record_reply(r)
        tail = [chunk(ChoiceDelta(), finish=r.finish_reason or "stop")]
        if include_usage:
            tail.append(chunk(ChoiceDelta(), usage=r.usage))
        return [*tail, sse("[DONE]")]

    def on_error(e: BaseException) -> bytes:
        return sse({"error": {"message": reason(e), "type": "server_error"}})

    async def stream():
        yield chunk(ChoiceDelta(role="assistant", content=""))
        async for part in encode(events, first, on_delta, on_reply, on_error):
            yield part

    return StreamingResponse(stream(), media_type="text/event-stream", headers={**SSE_HEADERS, "X-Session-Id": session})
