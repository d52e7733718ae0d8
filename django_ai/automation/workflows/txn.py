"""Transaction facts the engine needs about the caller's connection."""

from __future__ import annotations

from django.db import connection


def in_user_atomic() -> bool:
    """True inside an atomic block the caller opened (a test case's wrapping block excluded)."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)
