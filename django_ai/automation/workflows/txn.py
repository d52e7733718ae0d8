"""Transaction facts the engine needs about the caller's connection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


def in_user_atomic() -> bool:
    """True inside an atomic block the caller opened (a test case's wrapping block excluded)."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


@contextmanager
def write_locked_atomic() -> Iterator[None]:
    """``transaction.atomic()`` that holds the database's write lock from its first statement.

    PostgreSQL locks rows with ``select_for_update``; SQLite ignores that, so two transactions
    could both read a run as waiting and both act on it. On SQLite the outermost block begins
    with ``BEGIN IMMEDIATE`` instead: the second writer waits (up to the connection's
    ``timeout``) until the first commits, then reads the new state. Inside a block the caller
    opened, the lock is whatever that block took ("transaction_mode": "IMMEDIATE" covers it).
    """
    immediate = connection.vendor == "sqlite" and not connection.in_atomic_block
    saved = getattr(connection, "transaction_mode", None)
    if immediate:
        connection.ensure_connection()
        connection.transaction_mode = "IMMEDIATE"
    try:
        with transaction.atomic():
            if immediate:
                connection.transaction_mode = saved
            yield
    finally:
        if immediate:
            connection.transaction_mode = saved
