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

import json
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import BooleanField, Expression, JSONField, Q, signals
from django.utils import timezone

from ..models import StepExecution, WorkflowRun
from . import fastload, fastprep, hotcursor


def enabled() -> bool:
    """True on PostgreSQL when nothing listens to these models' save signals."""
    if connection.vendor != "postgresql":
        return False
    return not any(
        sig.has_listeners(model)
        for sig in (signals.pre_save, signals.post_save)
        for model in (WorkflowRun, StepExecution)
    )


def _hot_or_django_cursor(conn: Any) -> Any:
    """Server-side binding and prepared statements where the connection allows them
    (engine/hotcursor.py); Django's cursor otherwise."""
    if hotcursor.enabled(conn):
        return hotcursor.cursor(conn)
    return conn.cursor()


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


@cache
def _lock_sql() -> tuple[str, tuple[Any, ...], tuple[tuple[int, Any, bool], ...]]:
    fields = tuple(WorkflowRun._meta.concrete_fields)
    columns = ", ".join(_q(field.column) for field in fields)
    sql = (f"SELECT {columns} FROM {_q(WorkflowRun._meta.db_table)} "
           f"WHERE {_q('id')} = %s FOR UPDATE SKIP LOCKED")
    return sql, fields, _converted(fields)


def lock_run(run_id: int) -> WorkflowRun | None:
    """``select_for_update(skip_locked=True)`` by primary key: the run, or None (gone/held)."""
    sql, _fields, converted = _lock_sql()
    conn = connections[DEFAULT_DB_ALIAS]  # the proxy looks the connection up on every use
    with _hot_or_django_cursor(conn) as cursor:
        cursor.execute(sql, (run_id,))
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, field, plain_json in converted:
        value = values[index]
        # An empty JSON object or list needs no parser (most of a run's JSON columns).
        if plain_json and value in ("{}", "[]"):
            values[index] = {} if value == "{}" else []
        else:
            values[index] = field.from_db_value(value, None, conn)
    if fastload.plain():  # as from_db makes it, without Model.__init__ per claim
        return fastload.instance(values, conn.alias)
    return WorkflowRun.from_db(conn.alias, None, values)


def _converted(fields: tuple[Any, ...]) -> tuple[tuple[int, Any, bool], ...]:
    """The fields whose values go through ``from_db_value`` (the JSON columns, as text), and
    whether each is Django's own JSONField without a decoder."""
    return tuple((index, field, type(field) is JSONField and field.decoder is None)
                 for index, field in enumerate(fields) if hasattr(field, "from_db_value"))


@cache
def _update_sql(field_names: tuple[str, ...]) -> tuple[str, tuple[Any, ...], tuple[Any, ...]]:
    fields = tuple(WorkflowRun._meta.get_field(name) for name in field_names)
    assignments = ", ".join(f"{_q(field.column)} = %s" for field in fields)
    sql = f"UPDATE {_q(WorkflowRun._meta.db_table)} SET {assignments} WHERE {_q('id')} = %s"
    return sql, fields, fastprep.plan(fields)


@cache
def _insert_sql() -> tuple[str, tuple[Any, ...], tuple[Any, ...]]:
    # Every column but the id: fields other apps add to the history row are written too.
    fields = tuple(f for f in StepExecution._meta.concrete_fields if not f.primary_key)
    columns = ", ".join(_q(field.column) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = (f"INSERT INTO {_q(StepExecution._meta.db_table)} ({columns}) VALUES ({marks}) "
           f"RETURNING {_q('id')}")
    return sql, fields, fastprep.plan(fields)


def _values(instance: Any, fields: tuple[Any, ...], plan: tuple[Any, ...], add: bool,
            conn: Any) -> list[Any]:
    # pre_save applies auto_now / auto_now_add exactly as Model.save() would. The common
    # values of Django's own field classes take the short way to what get_db_prep_save
    # returns for them (fastprep.py); anything else goes through get_db_prep_save.
    values = []
    ops = conn.ops
    for field, short in zip(fields, plan, strict=True):
        value = field.pre_save(instance, add)
        prepared = fastprep.SLOW if short is None else short(value, ops)
        values.append(field.get_db_prep_save(value, conn) if prepared is fastprep.SLOW
                      else prepared)
    return values


def save(run: WorkflowRun, field_names: tuple[str, ...], row: StepExecution | None) -> None:
    """UPDATE the run's ``field_names`` and INSERT ``row`` (if any) in one statement."""
    conn = connections[DEFAULT_DB_ALIAS]
    update, run_fields, run_plan = _update_sql(field_names)
    params = [*_values(run, run_fields, run_plan, False, conn), run.pk]
    if row is None:
        with _hot_or_django_cursor(conn) as cursor:
            cursor.execute(update, params)
        return
    insert, row_fields, row_plan = _insert_sql()
    with _hot_or_django_cursor(conn) as cursor:
        cursor.execute(f"WITH run_update AS ({update}) {insert}",
                       [*params, *_values(row, row_fields, row_plan, True, conn)])
        row.pk = cursor.fetchone()[0]
    row._state.adding = False
    row._state.db = conn.alias


class IdIsAny(Expression):
    """``id = ANY(%s)`` with the ids as one array parameter (PostgreSQL): a batch UPDATE of
    2,000 runs sends one parameter instead of 2,000 placeholders for ``pk__in``."""

    output_field = BooleanField()

    def __init__(self, ids: list[int]) -> None:
        super().__init__()
        self.ids = ids

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        return f"{connection.ops.quote_name('id')} = ANY(%s)", [self.ids]


def ids_filter(ids: list[int]) -> Any:
    """The WHERE for "these runs": one array parameter on PostgreSQL, ``pk__in`` elsewhere."""
    return IdIsAny(ids) if connection.vendor == "postgresql" else Q(pk__in=ids)


def bulk_supported() -> bool:
    """Bulk INSERTs of column arrays (they send no signals, as ``bulk_create`` sends none)."""
    return connection.vendor == "postgresql"


@cache
def _bulk_plan(model: type) -> tuple[str, tuple[Any, ...]]:
    """``INSERT … SELECT * FROM unnest(%s::type[], …) RETURNING id`` for ``model`` without its
    primary key, and per field how a value goes into its array. Types lose their length
    modifier (``varchar[]``) so nothing is cut (Django's own bulk INSERT does the same)."""
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    columns = ", ".join(_q(field.column) for field in fields)
    arrays = ", ".join(f"%s::{field.db_type(connection).split('(')[0]}[]" for field in fields)
    sql = (f"INSERT INTO {_q(model._meta.db_table)} ({columns}) SELECT * FROM unnest({arrays}) "
           f"RETURNING {_q('id')}")
    return sql, fields


def _column(field: Any, objs: list[Any], at: Any) -> list[Any]:
    attname = field.attname
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return [at] * len(objs)
    if field.get_internal_type() == "JSONField":
        return [None if (value := getattr(obj, attname)) is None else json.dumps(value)
                for obj in objs]
    if field.get_internal_type() in ("CharField", "TextField"):
        return [str(getattr(obj, attname)) for obj in objs]  # TextChoices members as text
    return [getattr(obj, attname) for obj in objs]


def bulk_insert(objs: list[Any]) -> None:
    """INSERT new instances of one model in one statement of column arrays; sets their pks.

    For batches the engine builds itself (``start_many``, a fan-out's history rows): plain
    values, no expressions. ``RETURNING`` gives the ids in the order of the arrays, which is
    the order PostgreSQL inserts them (Django's ``bulk_create`` relies on the same)."""
    if not objs:
        return
    sql, fields = _bulk_plan(type(objs[0]))
    at = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(sql, [_column(field, objs, at) for field in fields])
        ids = [row[0] for row in cursor.fetchall()]
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


def _value_column(field: Any, rows: list[dict[str, Any]], at: Any) -> list[Any]:
    attname = field.attname
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return [at] * len(rows)
    if attname not in rows[0]:  # a field another app added: its default, as a new instance
        values = [field.get_default() for _ in rows]
    else:
        values = [row[attname] for row in rows]
    if field.get_internal_type() == "JSONField":
        return [None if value is None else json.dumps(value) for value in values]
    if field.get_internal_type() in ("CharField", "TextField"):
        return [str(value) for value in values]  # TextChoices members as text
    return values


# Field types whose values JSON carries exactly and PostgreSQL reads back from JSON text.
_JSON_TYPES = frozenset({"CharField", "TextField", "IntegerField", "PositiveIntegerField",
                         "PositiveSmallIntegerField", "BigIntegerField", "SmallIntegerField",
                         "BooleanField", "FloatField", "JSONField", "DateTimeField",
                         "ForeignKey"})


@cache
def _recordset_sql(model: type) -> str | None:
    """``INSERT … SELECT … FROM json_populate_recordset(NULL::table, %s::json)``: the rows as
    one JSON parameter, which psycopg sends as it is, where column arrays are quoted value by
    value in Python. None when a field's type is not in ``_JSON_TYPES``."""
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    if any(field.get_internal_type() not in _JSON_TYPES for field in fields):
        return None
    table = _q(model._meta.db_table)
    columns = ", ".join(_q(field.column) for field in fields)
    return (f"INSERT INTO {table} ({columns}) SELECT {columns} "
            f"FROM json_populate_recordset(NULL::{table}, %s::json)")


def _json_column(field: Any, values: list[Any]) -> list[Any]:
    kind = field.get_internal_type()
    if kind in ("JSONField", "BooleanField", "FloatField") or kind.endswith(
            ("IntegerField", "ForeignKey")):
        return values  # a JSON field's value nests as JSON, not as its text
    if kind == "DateTimeField":
        return [None if value is None else value.isoformat() for value in values]
    return [None if value is None else str(value) for value in values]  # TextChoices as text


def _json_rows(fields: tuple[Any, ...], rows: list[dict[str, Any]], at: Any) -> str | None:
    """The rows as one JSON array of objects by column name, or None if JSON cannot carry
    them exactly (a non-finite float)."""
    columns = []
    for field in fields:
        attname = field.attname
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            columns.append([at.isoformat()] * len(rows))
        elif attname in rows[0]:
            columns.append(_json_column(field, [row[attname] for row in rows]))
        else:  # a field another app added: its default, as a new instance would have
            columns.append(_json_column(field, [field.get_default() for _ in rows]))
    names = [field.column for field in fields]
    try:
        return json.dumps([dict(zip(names, row, strict=True))
                           for row in zip(*columns, strict=True)], allow_nan=False)
    except ValueError:
        return None


def insert_values(model: type, rows: list[dict[str, Any]]) -> None:
    """``bulk_insert`` from column values by attname (every row has the same keys), without
    building model instances: a signal's history rows. Missing fields take their default."""
    if not rows:
        return
    sql, fields = _bulk_plan(model)
    at = timezone.now()
    recordset = _recordset_sql(model)
    text = _json_rows(fields, rows, at) if recordset is not None else None
    with connection.cursor() as cursor:
        if text is not None:
            cursor.execute(recordset, [text])
        else:
            cursor.execute(sql, [_value_column(field, rows, at) for field in fields])
