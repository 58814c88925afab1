"""Random public codes: QR codes carry these, never primary keys."""
from __future__ import annotations

import secrets

# No 0/O/1/I/L so a code read aloud or typed from a poster is unambiguous.
_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


def random_code(length: int = 10) -> str:
    """Return an unguessable lowercase code (10 chars ~ 49 bits)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def random_token() -> str:
    """Return a long URL-safe token for tickets and links (~128 bits)."""
    return secrets.token_urlsafe(16)
