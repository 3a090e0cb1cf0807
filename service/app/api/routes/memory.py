"""What memory holds about a user, for the dashboard: sessions with their turns, facts and summaries; and erasure."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Response, status

from agent_lib.core import IDENT_PATTERN
from app.api.deps import AgentDep
from app.schemas import MemoryItemPublic, SessionDetail, SessionPublic, TurnPublic

router = APIRouter(prefix="/v1/users/{user}", tags=["memory"])

User = Annotated[str, Path(pattern=IDENT_PATTERN, examples=["alice"])]
SessionId = Annotated[str, Path(pattern=IDENT_PATTERN, examples=["trip-2026"])]


@router.get("/sessions", response_model=list[SessionPublic])
async def list_sessions(user: User, agent: AgentDep) -> list[SessionPublic]:
    """The user's sessions, most recently active first."""
    return [SessionPublic.of(s) for s in await agent.memory.sessions(user)]


@router.get("/sessions/{session}", response_model=SessionDetail, responses={404: {"description": "no such session"}})
async def get_session(user: User, session: SessionId, agent: AgentDep) -> SessionDetail:
    """One session: its summary and every turn, oldest first."""
    info, turns = await agent.memory.session(user, session)
    if info is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"user {user!r} has no session {session!r}")
    return SessionDetail(**SessionPublic.of(info).model_dump(), messages=[TurnPublic.of(m) for m in turns])


@router.delete("/sessions/{session}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_session(user: User, session: SessionId, agent: AgentDep) -> Response:
    """Erase one session from every tier (its turns, summary and facts)."""
    await agent.memory.forget_session(user, session)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/sessions", status_code=status.HTTP_204_NO_CONTENT)
async def delete_sessions(user: User, agent: AgentDep) -> Response:
    """Erase every session of the user, and so everything remembered about them."""
    await agent.memory.forget_user(user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/memories", response_model=list[MemoryItemPublic])
async def list_memories(
    user: User,
    agent: AgentDep,
    q: Annotated[str | None, Query(max_length=1000, description="search by meaning (long-term tier)")] = None,
    k: Annotated[int, Query(ge=1, le=100, description="how many results of a search")] = 20,
) -> list[MemoryItemPublic]:
    """The user's facts and summaries; with `q`, the `k` nearest long-term items with their scores."""
    return [MemoryItemPublic.of(i) for i in await agent.memory.memories(user, query=q or None, k=k)]


@router.delete("/memories", status_code=status.HTTP_204_NO_CONTENT)
async def delete_memories(user: User, agent: AgentDep) -> Response:
    """Erase everything stored about the user (facts and summaries come from their sessions, so those go too)."""
    await agent.memory.forget_user(user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
