"""Cursors for the two statements of a step transition on PostgreSQL with psycopg 3.

Django's psycopg 3 cursors bind parameters on the client (``ClientCursor``): each of the ~30
values of the transition's write is quoted into the SQL text in Python, and the server parses
and plans the statement again each time. Here the lock and the write go through a psycopg
``Cursor`` on the same connection: the values travel as parameters (server-side binding,
which works through PgBouncer in transaction mode), and psycopg prepares the statement after
``prepare_threshold`` executions when the connection allows it. Django's
``OPTIONS["prepare_threshold"]`` sets that (Django's default, None, never prepares: prepared
statements need PgBouncer 1.21+ with ``max_prepared_statements`` in transaction mode);
docs/howto-deploying.md, "PostgreSQL: prepared statements and PgBouncer".

The cursor is wrapped by Django (``connection._prepare_cursor``), so ``connection.queries``,
``CaptureQueriesContext`` and ``execute_wrapper`` see every statement as they see the ORM's.

BEGIN stays its own round trip: psycopg sends it before a transaction's first statement, and
in pipeline mode too it ends BEGIN with its own Sync and waits for it (``_start_query`` in
psycopg's ``_connection_base.py``), so pipelining the lock saves nothing (measured with a libpq
trace, bench/README.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any


@cache
def _psycopg3(vendor: str) -> bool:
    if vendor != "postgresql":
        return False
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return is_psycopg3


def enabled(conn: Any) -> bool:
    """psycopg 3 on a connection that may prepare statements.

    Without prepared statements, server-side binding costs more Python per statement than
    Django's client-side binding (measured: bench/README.md), so the ORM's cursor stays."""
    if not _psycopg3(conn.vendor):
        return False
    conn.ensure_connection()
    return conn.connection.prepare_threshold is not None


@cache
def _cursor_class() -> type:
    import psycopg

    class LoggedCursor(psycopg.Cursor):
        """A psycopg ``Cursor`` whose prepared executions keep ``_query`` (the statement with
        its ``$n`` placeholders), which Django's query log reads (psycopg sets it for
        unprepared executions only)."""

        def _send_query_prepared(self, name: bytes, pgq: Any, **kwargs: Any) -> None:
            self._query = pgq
            super()._send_query_prepared(name, pgq, **kwargs)

    return LoggedCursor


def _raw_cursor(conn: Any) -> Any:
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.pq import Format

    raw = conn.connection
    cursor = _cursor_class()(raw)
    # As Django's create_cursor: the connection's time zone for timestamptz values read back.
    if conn.timezone != raw.adapters.get_loader(_TIMESTAMPTZ_OID, Format.TEXT).timezone:
        register_tzloader(conn.timezone, cursor)
    return cursor


_TIMESTAMPTZ_OID = 1184


@contextmanager
def cursor(conn: Any) -> Iterator[Any]:
    """A Django-wrapped psycopg ``Cursor`` (server-side binding) on ``conn`` (a Django
    connection, not the proxy), as ``conn.cursor()`` makes the ORM's.

    One psycopg cursor per database connection is kept and wrapped again for each use (the
    wrapping is what logs and runs ``execute_wrapper``s); it is not closed after a statement,
    which only keeps that statement's result (one row) until the next."""
    conn.close_if_health_check_failed()
    conn.ensure_connection()
    raw = conn.connection
    kept = getattr(conn, "_django_ai_hot_cursor", None)
    if kept is None or kept.connection is not raw or kept.closed:
        with conn.wrap_database_errors:
            kept = conn._django_ai_hot_cursor = _raw_cursor(conn)
    yield conn._prepare_cursor(kept)
