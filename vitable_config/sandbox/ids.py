"""Prefixed random ids, as the real API issues them (``plyr_`` + 16 hex digits)."""

from __future__ import annotations

import hashlib
import secrets


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def stable_id(prefix: str, *parts: str) -> str:
    """A deterministic id derived from ``parts`` (used for seeded rows)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]
    return f"{prefix}_{digest}"


def trace_id() -> str:
    return f"trace_{secrets.token_hex(12)}"
