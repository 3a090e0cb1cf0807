"""What memory holds about a user: sessions with their turns, facts and summaries, search with filters; memory added
without chatting (a past conversation, plain facts); erasure."""

from collections import defaultdict
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response, status

from agent_lib.core import IDENT_PATTERN, MemoryKind, Message, Role
from agent_lib.memory.base import SearchFilter
from app.api.deps import AgentDep, require_path_user
from app.schemas import (
    MemoryImportRequest,
    MemoryImportResponse,
    MemoryItemPublic,
    SessionDetail,
    SessionPublic,
    TurnPublic,
    as_utc,
)

# the path's user: a user token reaches its own user's memory only (403 otherwise); admin keys reach everyone's
router = APIRouter(prefix="/v1/users/{user}", tags=["memory"], dependencies=[Depends(require_path_user)])

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


def unprocessable(reason: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=reason)


def search_filter(
    session: str | None,
    kinds: list[MemoryKind] | None,
    since: datetime | None,
    until: datetime | None,
    valid_only: bool,
) -> SearchFilter:
    """The filter of a memory search, times in UTC (422 for a range that is empty or out of range)."""
    try:
        since, until = (as_utc(t) if t is not None else None for t in (since, until))
    except ValueError as e:
        raise unprocessable(str(e)) from e
    if since is not None and until is not None and since >= until:
        raise unprocessable(f"since ({since.isoformat()}) must be before until ({until.isoformat()})")
    return SearchFilter(session=session, kinds=kinds or None, since=since, until=until, valid_only=valid_only)


@router.get("/memories", response_model=list[MemoryItemPublic])
async def list_memories(
    user: User,
    agent: AgentDep,
    q: Annotated[str | None, Query(max_length=1000, description="search by meaning and words (long-term)")] = None,
    k: Annotated[int, Query(ge=1, le=100, description="how many results of a search")] = 20,
    session: Annotated[str | None, Query(pattern=IDENT_PATTERN, description="only this session's items")] = None,
    kind: Annotated[list[MemoryKind] | None, Query(description="only these kinds (repeat for several)")] = None,
    since: Annotated[datetime | None, Query(description="created at or after (ISO 8601; no zone: UTC)")] = None,
    until: Annotated[datetime | None, Query(description="created before (ISO 8601; no zone: UTC)")] = None,
    valid_only: Annotated[bool, Query(description="leave out facts a newer one superseded")] = False,
) -> list[MemoryItemPublic]:
    """With `q`: the `k` most relevant long-term items (turns, facts, summaries) with their scores, best first.
    Without: the user's stored facts and summaries (turns are under /sessions). The filters apply to both."""
    where = search_filter(session, kind, since, until, valid_only)
    where = None if where.empty else where
    if q and q.strip():
        items = await agent.memory.search(user, q, k=k, filter=where)
    else:
        items = await agent.memory.memories(user, filter=where)
    return [MemoryItemPublic.of(i) for i in items]


@router.post(
    "/memories",
    response_model=MemoryImportResponse,
    status_code=status.HTTP_201_CREATED,
    responses={503: {"description": "memory cannot be reached"}},
)
async def import_memories(user: User, body: MemoryImportRequest, agent: AgentDep) -> MemoryImportResponse:
    """Add memory without chatting: a past conversation (kept as turns of its sessions) and plain facts, searchable
    from any session at once. Nothing is sent to the model."""
    messages = [
        Message(
            user=user,
            session=m.session or body.session,
            role=Role(m.role),
            content=m.content,
            **({"created_at": m.created_at} if m.created_at else {}),
        )
        for m in body.messages
    ]
    groups: dict[tuple, list[str]] = defaultdict(list)  # import_facts takes one session and time per call
    for f in body.facts:
        groups[(f.session or body.session, f.created_at)].append(f.text)
    stored: list[tuple[tuple, list[str], list[str]]] = []
    try:
        message_ids = await agent.memory.import_messages(messages) if messages else []
        for key, texts in groups.items():
            unique = list(dict.fromkeys(texts))  # a fact said twice is one fact
            stored.append(
                (key, unique, await agent.memory.import_facts(user, unique, session=key[0], created_at=key[1]))
            )
    except ValueError as e:  # memory's own input checks
        raise unprocessable(str(e)) from e
    fact_ids = {(*key, t): id_ for key, unique, ids in stored for t, id_ in zip(unique, ids, strict=True)}
    facts = [fact_ids[(f.session or body.session, f.created_at, f.text)] for f in body.facts]
    return MemoryImportResponse(messages=list(message_ids), facts=facts)


@router.delete("/memories", status_code=status.HTTP_204_NO_CONTENT)
async def delete_memories(user: User, agent: AgentDep) -> Response:
    """Erase everything stored about the user (facts and summaries come from their sessions, so those go too)."""
    await agent.memory.forget_user(user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
