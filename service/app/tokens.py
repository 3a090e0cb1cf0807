"""User tokens: HS256 JWTs whose `sub` is the user, signed with SERVICE_TOKEN_SECRET; minted by an admin.

    python -m app.tokens mint --user alice --ttl 3600      (from service/, with the service's environment)

prints a token that acts for `alice` alone until it expires. `POST /v1/tokens` (admin key) does the same over HTTP.
"""

import argparse
import re
import sys
import time
import warnings
from dataclasses import dataclass

import jwt

from agent_lib.core import IDENT_PATTERN

ALGORITHM = "HS256"  # the only one accepted: a token cannot choose its own algorithm (no `none`, no RS/HS mix-up)
ISSUER = "agent-workspace"
LEEWAY_S = 5  # clock skew tolerated on `exp`, `iat` and `nbf`
REQUIRED_CLAIMS = ["sub", "exp", "iat", "iss"]
_USER = re.compile(IDENT_PATTERN)


class TokenError(ValueError):
    """A token that does not grant anything: the message says why, and never repeats the token."""


@dataclass(frozen=True)
class Minted:
    token: str
    user: str
    expires_at: int  # Unix seconds


def mint(user: str, ttl_s: int, secret: str, now: float | None = None) -> Minted:
    """A token for `user`, valid for `ttl_s` seconds from `now`."""
    if not _USER.fullmatch(user):
        raise TokenError(f"{user!r} is not a valid user id (pattern {IDENT_PATTERN})")
    if ttl_s <= 0:
        raise TokenError("the lifetime must be positive")
    issued = int(time.time() if now is None else now)
    claims = {"sub": user, "iat": issued, "exp": issued + ttl_s, "iss": ISSUER}
    with warnings.catch_warnings():  # a short secret is refused outside development; tolerated (quietly) there
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        token = jwt.encode(claims, secret, algorithm=ALGORITHM)
    return Minted(token, user, issued + ttl_s)


def verify(token: str, secret: str) -> str:
    """The user a token acts for; `TokenError` with the reason when it is forged, expired or malformed."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
            claims = jwt.decode(
                token,
                secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                leeway=LEEWAY_S,
                options={"require": REQUIRED_CLAIMS},
            )
    except jwt.ExpiredSignatureError as e:
        raise TokenError("the token has expired") from e
    except jwt.InvalidTokenError as e:  # PyJWT's messages name the failed check, never the token itself
        raise TokenError(str(e) or type(e).__name__) from e
    user = claims["sub"]
    if not isinstance(user, str) or not _USER.fullmatch(user):
        raise TokenError("the token's subject is not a valid user id")
    return user


def looks_like_jwt(credential: str) -> bool:
    """Three base64url parts: worth verifying as a token (anything else is judged as an API key)."""
    return credential.count(".") == 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.tokens", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    m = commands.add_parser("mint", help="print a token for one user")
    m.add_argument("--user", required=True, help="the user the token acts for")
    m.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (default 3600)")
    args = parser.parse_args(argv)

    from app.core.config import settings  # read here, so --help works without a configured environment

    if (secret := settings.token_secret) is None:
        print("SERVICE_TOKEN_SECRET is not set: this service has no user tokens", file=sys.stderr)
        return 2
    if not 0 < args.ttl <= settings.service_token_max_ttl_s:
        print(f"--ttl must be between 1 and {settings.service_token_max_ttl_s} seconds", file=sys.stderr)
        return 2
    try:
        minted = mint(args.user, args.ttl, secret)
    except TokenError as e:
        print(e, file=sys.stderr)
        return 2
    print(minted.token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
