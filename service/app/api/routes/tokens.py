"""POST /v1/tokens: an admin mints a user token (the same as `python -m app.tokens mint`)."""

import logging
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, status

from app.api.deps import AdminDep
from app.core.config import settings
from app.schemas import TokenRequest, TokenResponse
from app.tokens import mint

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["access"])


@router.post(
    "/tokens",
    response_model=TokenResponse,
    status_code=status.HTTP_201_CREATED,
    responses={404: {"description": "user tokens are off: the service has no SERVICE_TOKEN_SECRET"}},
)
def create_token(body: TokenRequest, caller: AdminDep) -> TokenResponse:
    """A bearer token that acts for `user` alone (their chat and memory routes) until it expires. Admin keys only:
    hand it to that user's client, which sends `Authorization: Bearer <token>`."""
    if (secret := settings.token_secret) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="user tokens are off: set SERVICE_TOKEN_SECRET")
    minted = mint(body.user, body.ttl_s, secret)
    log.info("minted a token for user %r, valid %d s, by %s", minted.user, body.ttl_s, caller.limit_key)
    expires_at = datetime.fromtimestamp(minted.expires_at, UTC)
    return TokenResponse(token=minted.token, user=minted.user, expires_at=expires_at)
