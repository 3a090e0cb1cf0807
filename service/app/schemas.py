"""Request and response bodies of the HTTP API (the OpenAPI schema is generated from these)."""

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from agent_lib.agent import Reply
from agent_lib.core import Component, Ident, MemoryItem, MemoryKind, Message, Role, Tier, utcnow
from agent_lib.llm.base import Usage
from agent_lib.memory.base import SessionInfo
from app.core.config import settings

ChatText = Annotated[str, StringConstraints(min_length=1, max_length=settings.service_max_message_chars)]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("the message is empty")
    return value


class ChatRequest(BaseModel):
    """One turn of `user` in `session` (with a user token, `user` may be left out: it is the token's)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"user": "alice", "session": "trip-2026", "message": "I prefer window seats.", "stream": False}
            ]
        }
    )

    user: Ident | None = None  # owner of the memory this turn becomes; required with an admin key
    session: Ident  # the conversation
    message: ChatText
    stream: bool = False  # true: Server-Sent Events, token by token

    _check_message = field_validator("message")(_not_blank)


def as_utc(value: datetime) -> datetime:
    """`value` in UTC; a time without a zone counts as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as e:  # e.g. 0001-01-01T00:00+01:00 has no UTC form
        raise ValueError(f"{value.isoformat()} is out of range") from e


def _not_future(value: datetime) -> datetime:
    value, skew = as_utc(value), settings.service_max_clock_skew_s
    if value > utcnow() + timedelta(seconds=skew):
        raise ValueError(f"{value.isoformat()} is in the future (more than {skew:g} s ahead of the service's clock)")
    return value


PastTime = Annotated[datetime, AfterValidator(_not_future)]  # in UTC; without a zone: UTC


class MemoryItemPublic(BaseModel):
    """A stored memory as the API shows it."""

    id: str
    tier: Tier
    kind: MemoryKind
    text: str
    session: str | None = None
    score: float | None = None  # relevance to the query, for items found by search (higher is better)
    created_at: datetime
    role: Role | None = None  # who said it, for turns
    sources: list[str] = []  # ids of the turns it came from (a turn: its own id)
    invalidated_at: datetime | None = None  # when a newer fact superseded this one (kept, not deleted)

    @classmethod
    def of(cls, item: MemoryItem) -> "MemoryItemPublic":
        return cls.model_validate(item.model_dump(exclude={"user"}))


class ImportedMessage(BaseModel):
    """One message of a past conversation."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: ChatText
    created_at: PastTime | None = None  # when it was said; default: now
    session: Ident | None = None  # default: the request's `session`

    _check_content = field_validator("content")(_not_blank)


class ImportedFact(BaseModel):
    """A plain fact about the user."""

    model_config = ConfigDict(extra="forbid")

    text: ChatText
    session: Ident | None = None  # default: the request's `session`; none: a fact of the user, of no one session
    created_at: PastTime | None = None  # default: now

    _check_text = field_validator("text")(_not_blank)


MAX_ITEMS = settings.service_max_import_items


class MemoryImportRequest(BaseModel):
    """Memory to add without chatting: a past conversation, plain facts, or both (the path's user owns all of it)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "session": "trip-2026",
                    "messages": [
                        {"role": "user", "content": "I prefer window seats.", "created_at": "2026-01-05T09:30:00Z"},
                        {"role": "assistant", "content": "Noted: a window seat."},
                    ],
                    "facts": [{"text": "Alice is vegetarian."}],
                }
            ]
        },
    )

    messages: list[ImportedMessage] = Field([], max_length=MAX_ITEMS)  # kept in this order
    session: Ident | None = None  # the session of every message and fact that names none
    facts: list[ImportedFact] = Field([], max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _check_items(self) -> "MemoryImportRequest":
        count = len(self.messages) + len(self.facts)
        if count == 0:
            raise ValueError("nothing to import: give at least one message or fact")
        if count > MAX_ITEMS:
            raise ValueError(f"{count} messages and facts; at most {MAX_ITEMS} per request")
        unnamed = [i for i, m in enumerate(self.messages) if m.session is None]
        if unnamed and self.session is None:
            raise ValueError(f"messages {unnamed[:5]} have no session: give each one or set `session`")
        return self


class MemoryImportResponse(BaseModel):
    """Ids of what was stored, in the request's order."""

    messages: list[str] = []
    facts: list[str] = []


class ChatResponse(BaseModel):
    """The answer, what memory contributed to it, and what it cost."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reply": "Noted: a window seat.",
                    "user": "alice",
                    "session": "trip-2026",
                    "recalled": [],
                    "usage": {"prompt_tokens": 52, "completion_tokens": 7, "cost_usd": None},
                    "provider": "local",
                    "model": "SmolLM2-135M-Instruct",
                    "degraded": [],
                }
            ]
        }
    )

    reply: str
    user: str
    session: str
    recalled: list[MemoryItemPublic] = []
    usage: Usage = Usage()
    provider: str = ""
    model: str = ""
    degraded: list[str] = []  # memory tiers that could not be read for this turn

    @classmethod
    def of(cls, reply: Reply) -> "ChatResponse":
        return cls(
            reply=reply.reply,
            user=reply.user,
            session=reply.session,
            recalled=[MemoryItemPublic.of(i) for i in reply.recalled],
            usage=reply.usage,
            provider=reply.provider,
            model=reply.model,
            degraded=reply.degraded,
        )


class ReadyResponse(BaseModel):
    """Whether the agent finished warming up, and what each component runs on."""

    ready: bool
    capabilities: dict[str, Component]  # per component: backend, degraded, device, detail, probes
    degraded: list[str] = []
    warm_up_error: str | None = None


class SessionPublic(BaseModel):
    """One conversation of a user."""

    session: str
    turns: int = 0
    started_at: datetime | None = None
    last_at: datetime | None = None
    summary: str | None = None

    @classmethod
    def of(cls, info: SessionInfo) -> "SessionPublic":
        return cls.model_validate(info.model_dump(include={"session", "turns", "started_at", "last_at", "summary"}))


class TurnPublic(BaseModel):
    """One message of a conversation."""

    id: str
    role: Role
    content: str
    created_at: datetime

    @classmethod
    def of(cls, m: Message) -> "TurnPublic":
        return cls(id=m.id, role=m.role, content=m.content, created_at=m.created_at)


class SessionDetail(SessionPublic):
    """A conversation with all its turns."""

    messages: list[TurnPublic] = []


# --- OpenAI-compatible chat completions (the subset this service honours)


class OpenAIMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.get("text", "") for p in self.content if p.get("type") == "text")
        return self.content or ""


class StreamOptions(BaseModel):
    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """OpenAI's request body; `user` owns the memory (required with an admin key; a user token's own user when left
    out), the last user message is the turn, memory supplies the rest."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [{"model": "agent", "user": "alice", "messages": [{"role": "user", "content": "Hello!"}]}]
        },
    )

    model: str = "agent"
    messages: list[OpenAIMessage] = Field(min_length=1)
    user: Ident | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(None, ge=1, le=4096, description="reply length limit; the service's by default")
    max_completion_tokens: int | None = Field(None, ge=1, le=4096, description="newer name of `max_tokens`")
    temperature: float | None = Field(None, ge=0, le=2)

    @property
    def reply_tokens(self) -> int | None:
        return self.max_completion_tokens or self.max_tokens

    @field_validator("messages")
    @classmethod
    def _last_user_message(cls, messages: list[OpenAIMessage]) -> list[OpenAIMessage]:
        turn = next((m for m in reversed(messages) if m.role == "user"), None)
        if turn is None:
            raise ValueError("no user message")
        if not turn.text.strip():
            raise ValueError("the last user message is empty")
        if len(turn.text) > settings.service_max_message_chars:
            raise ValueError(f"the last user message is longer than {settings.service_max_message_chars} characters")
        return messages

    @property
    def turn(self) -> str:
        return next(m for m in reversed(self.messages) if m.role == "user").text

    def session_of_conversation(self) -> str:
        """A session for a request that names none: the same for every turn of one conversation (clients resend the
        history, and its system prompt and first user message do not change), different for another conversation."""
        system = [m for m in self.messages if m.role in ("system", "developer")][:1]
        opening = [*system, next(m for m in self.messages if m.role == "user")]
        digest = hashlib.sha256(json.dumps([[m.role, m.text] for m in opening]).encode()).hexdigest()
        return f"conv-{digest[:16]}"


# --- user tokens


class TokenRequest(BaseModel):
    """A user token to mint: for whom, for how long."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"user": "alice", "ttl_s": 3600}]})

    user: Ident  # the only user the token may act for
    ttl_s: int = Field(3600, ge=60, le=settings.service_token_max_ttl_s, description="lifetime in seconds")


class TokenResponse(BaseModel):
    """A bearer token for one user's routes: send it as `Authorization: Bearer <token>`."""

    token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the scheme's name, not a secret)
    user: str
    expires_at: datetime


class DeadLetter(BaseModel):
    """A write mid-term refused (not a transient error): kept, still in its owner's reads, until replayed or erased."""

    seq: int = Field(description="Its place in the delivery order.")
    op: Literal["turns", "facts", "summary"]
    user: str
    session: str | None
    queued_at: str = Field(description="When it was acknowledged (ISO 8601).")
    error: str | None = Field(description="Why the backend refused it.")
    failed_at: str | None
    items: int = Field(description="Messages or facts it holds (1 for a summary).")


class ReplayRequest(BaseModel):
    """Which dead letters to queue for delivery again."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"seqs": [7]}]})
    seqs: list[Annotated[int, Field(ge=1)]] | None = Field(
        None, max_length=10_000, description="The dead letters to queue again; none: all of them."
    )


class ReplayResponse(BaseModel):
    replayed: int = Field(description="Dead letters queued for delivery again.")
