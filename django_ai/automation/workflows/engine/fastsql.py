"""Precompiled SQL for the transition hot path on PostgreSQL.

A step transition locks its run by primary key, and at the end writes the run's new state and
(usually) one history row. Through the ORM that is three statements plus BEGIN/COMMIT, and most
of the Python time goes into building querysets and compiling the same SQL again each time
(bench/README.md, "Profile"). Here the SQL is built once per process from the models' own field
definitions, and the UPDATE and the history INSERT become one statement (a data-modifying CTE),
with the same row lock, the same values (each field's own ``get_db_prep_save``) and the same
transaction. Other databases, and projects that connect ``pre_save``/``post_save`` receivers to
these models (which a raw statement would bypass), keep the ORM path.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connection
from django.db.models import signals

from ..models import StepExecution, WorkflowRun

HISTORY_FIELDS = ("run", "step_name", "status", "error", "attempt", "created_at")


def enabled() -> bool:
    """True on PostgreSQL when nothing listens to these models' save signals."""
    if connection.vendor != "postgresql":
        return False
    return not any(
        sig.has_listeners(model)
        for sig in (signals.pre_save, signals.post_save)
        for model in (WorkflowRun, StepExecution)
    )


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


@cache
def _lock_sql() -> tuple[str, tuple[Any, ...]]:
    fields = tuple(WorkflowRun._meta.concrete_fields)
    columns = ", ".join(_q(field.column) for field in fields)
    sql = (f"SELECT {columns} FROM {_q(WorkflowRun._meta.db_table)} "
           f"WHERE {_q('id')} = %s FOR UPDATE SKIP LOCKED")
    return sql, fields


def lock_run(run_id: int) -> WorkflowRun | None:
    """``select_for_update(skip_locked=True)`` by primary key: the run, or None (gone/held)."""
    sql, fields = _lock_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, (run_id,))
        row = cursor.fetchone()
    if row is None:
        return None
    values = [
        field.from_db_value(value, None, connection) if hasattr(field, "from_db_value")
        else value
        for field, value in zip(fields, row, strict=True)
    ]
    return WorkflowRun.from_db(connection.alias, None, values)


@cache
def _update_sql(field_names: tuple[str, ...]) -> tuple[str, tuple[Any, ...]]:
    fields = tuple(WorkflowRun._meta.get_field(name) for name in field_names)
    assignments = ", ".join(f"{_q(field.column)} = %s" for field in fields)
    sql = f"UPDATE {_q(WorkflowRun._meta.db_table)} SET {assignments} WHERE {_q('id')} = %s"
    return sql, fields


@cache
def _insert_sql() -> tuple[str, tuple[Any, ...]]:
    fields = tuple(StepExecution._meta.get_field(name) for name in HISTORY_FIELDS)
    columns = ", ".join(_q(field.column) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = (f"INSERT INTO {_q(StepExecution._meta.db_table)} ({columns}) VALUES ({marks}) "
           f"RETURNING {_q('id')}")
    return sql, fields


def _values(instance: Any, fields: tuple[Any, ...], add: bool) -> list[Any]:
    # pre_save applies auto_now / auto_now_add exactly as Model.save() would.
    return [field.get_db_prep_save(field.pre_save(instance, add), connection)
            for field in fields]


def save(run: WorkflowRun, field_names: tuple[str, ...], row: StepExecution | None) -> None:
    """UPDATE the run's ``field_names`` and INSERT ``row`` (if any) in one statement."""
    update, run_fields = _update_sql(field_names)
    params = [*_values(run, run_fields, False), run.pk]
    if row is None:
        with connection.cursor() as cursor:
            cursor.execute(update, params)
        return
    insert, row_fields = _insert_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"WITH run_update AS ({update}) {insert}",
                       [*params, *_values(row, row_fields, True)])
        row.pk = cursor.fetchone()[0]
    row._state.adding = False
    row._state.db = connection.alias


@cache
def _bulk_history_sql() -> str:
    fields = [StepExecution._meta.get_field(name) for name in HISTORY_FIELDS]
    columns = ", ".join(_q(field.column) for field in fields)
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
    table = _q(StepExecution._meta.db_table)
    return f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays})"


def insert_history(rows: list[StepExecution]) -> None:
    """Many history rows in one INSERT of column arrays (a fan-out's batch), no model work."""
    if not rows:
        return
    fields = [StepExecution._meta.get_field(name) for name in HISTORY_FIELDS]
    columns = list(zip(*(_values(row, fields, True) for row in rows), strict=True))
    with connection.cursor() as cursor:
        cursor.execute(_bulk_history_sql(), [list(column) for column in columns])
