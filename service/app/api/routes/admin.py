"""Operator routes (admin keys only): the mid-term outbox's dead letters, listed and replayed."""

import json

from fastapi import APIRouter, HTTPException, status

from app.api.deps import AdminDep, AgentDep
from app.schemas import DeadLetter, ReplayRequest, ReplayResponse

router = APIRouter(prefix="/v1/admin", tags=["admin"])
NO_OUTBOX = {404: {"description": "mid-term has no outbox (the embedded SQLite store writes directly)"}}


def _outboxed(agent: AgentDep):
    """The mid-term store if it keeps an outbox (the resilient adapter), else 404."""
    mid = agent.memory.mid
    if getattr(mid, "dead_letters", None) is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"mid-term {mid.name} has no outbox, hence no dead letters"
        )
    return mid


def _items(op: str, payload: str) -> int:
    data = json.loads(payload)
    return len(data) if op in ("turns", "facts") else 1


@router.get("/dead-letters", response_model=list[DeadLetter], responses=NO_OUTBOX)
async def dead_letters(agent: AgentDep, _: AdminDep, user: str | None = None) -> list[DeadLetter]:
    """Writes mid-term refused, oldest first, with the error: fix the cause (an IAM binding, say), then replay."""
    entries = await _outboxed(agent).dead_letters(user)
    return [
        DeadLetter(
            seq=e.seq,
            op=e.op,
            user=e.user,
            session=e.session,
            queued_at=e.queued_at,
            error=e.error,
            failed_at=e.failed_at,
            items=_items(e.op, e.payload),
        )
        for e in entries
    ]


@router.post("/dead-letters/replay", response_model=ReplayResponse, responses=NO_OUTBOX)
async def replay(body: ReplayRequest, agent: AgentDep, _: AdminDep) -> ReplayResponse:
    """Queue dead letters (the given ones, or all) for delivery again, in their original order."""
    return ReplayResponse(replayed=await _outboxed(agent).replay(body.seqs))
