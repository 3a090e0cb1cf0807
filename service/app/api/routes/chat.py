"""POST /v1/chat: one turn, as JSON or as Server-Sent Events token by token."""

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import StreamingResponse

from agent_lib.agent import Reply
from agent_lib.llm.base import Delta
from app.api.deps import AgentDep, CallerDep
from app.api.streaming import SSE_HEADERS, encode, first_event, reason, sse
from app.core.metrics import record_reply
from app.schemas import ChatRequest, ChatResponse

router = APIRouter(prefix="/v1", tags=["chat"])

SSE_DOC = (
    'With `stream: true`: `text/event-stream`; `event: delta` with `data: {"text": ...}` per piece, '
    'then `event: done` whose data is the ChatResponse, or `event: error` with `data: {"reason": ...}`.'
)


@router.post(
    "/chat",
    response_model=ChatResponse,
    responses={
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}, "description": SSE_DOC},
        503: {"description": "the model is still loading, or memory cannot be reached"},
    },
)
async def chat(body: ChatRequest, agent: AgentDep, caller: CallerDep):
    """Recall what memory holds for the session, answer, and remember the turn. `user` is the token's user with a
    user token (naming another is 403) and required with an admin key."""
    user = caller.user_for(body.user)
    if not body.stream:
        try:
            reply = await agent.chat(user, body.session, body.message)
        except ValueError as e:  # the agent's input errors, e.g. a message over the model's budget
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(e)) from e
        record_reply(reply)
        return ChatResponse.of(reply)
    events = agent.stream(user, body.session, body.message)
    first = await first_event(events)

    def on_delta(d: Delta) -> bytes | None:
        return sse({"text": d.text}, event="delta") if d.text else None

    def on_reply(r: Reply) -> list[bytes]:
        record_reply(r)
        return [sse(ChatResponse.of(r), event="done")]

    def on_error(e: BaseException) -> bytes:
        return sse({"reason": reason(e)}, event="error")

    return StreamingResponse(
        encode(events, first, on_delta, on_reply, on_error), media_type="text/event-stream", headers=SSE_HEADERS
    )
