"""Bearer tokens: random, shown once, stored as sha256 hex."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "avn_"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # A plain sha256 suffices: tokens carry 256 random bits, so there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()
