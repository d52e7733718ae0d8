"""Issue 15 point 4: the transition's lock and write on PostgreSQL with psycopg 3.

With prepared statements allowed (``OPTIONS["prepare_threshold"]``), both statements go through
a psycopg ``Cursor`` (server-side binding) on the same connection; without, Django's cursors.
Either way Django's query log and ``execute_wrapper`` see every statement, and the claimed run
and the written rows are what the ORM would read and write.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.engine import fastprep, fastsql, hotcursor
from django_ai.automation.workflows.models import (
    StepExecution,
    WaitKind,
    WorkflowRun,
    WorkflowStatus,
)

from .test_query_counts import LOOPS, collector  # noqa: F401  (fixture)

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="the hot statements are PostgreSQL's")


@pytest.fixture(params=[0, None], ids=["prepared", "django-cursor"])
def threshold(request, transactional_db):
    connection.ensure_connection()
    raw = connection.connection
    before = raw.prepare_threshold
    raw.prepare_threshold = request.param
    yield request.param
    raw.prepare_threshold = before


def _fields(run: WorkflowRun) -> dict:
    return {f.attname: getattr(run, f.attname) for f in WorkflowRun._meta.concrete_fields}


def test_claim_matches_the_orm(threshold):
    run = WorkflowRun.objects.create(
        name="hot", data={"a": [1, {"b": "ü"}], "s": "{}"}, step_log=[{"k": "wait"}],
        waiting_display={}, kept_signals=[], wake_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    assert hotcursor.enabled(connection) is (threshold is not None)
    with transaction.atomic():
        fast = fastsql.lock_run(run.pk)
    assert fast is not None and not fast._state.adding and fast._state.db == "default"
    assert _fields(fast) == _fields(WorkflowRun.objects.get(pk=run.pk))


def test_goto_statements_are_logged_and_wrapped(threshold, collector):  # noqa: F811
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    run = engine.start("qc_loop")
    for _ in range(6):  # past psycopg's prepare threshold, if any
        collector.run_one()
    with connection.execute_wrapper(wrapper), CaptureQueriesContext(connection) as captured:
        collector.run_one()
    logged = [query["sql"] for query in captured.captured_queries]
    data = [sql for sql in logged if sql.upper() not in ("BEGIN", "COMMIT")]
    assert len(data) == 2 and len(seen) == 2, logged
    assert "FOR UPDATE SKIP LOCKED" in data[0] and "FOR UPDATE SKIP LOCKED" in seen[0]
    assert data[1].startswith("WITH run_update") and seen[1].startswith("WITH run_update")
    collector.drain()
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED and run.data["count"] == LOOPS
    assert StepExecution.objects.filter(run=run).count() == LOOPS


def test_a_failing_write_rolls_back_and_the_connection_goes_on(threshold):
    run = WorkflowRun.objects.create(name="hot")
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017 (any database error)
        locked = fastsql.lock_run(run.pk)
        locked.current_step = "x" * 10_000  # longer than the column
        fastsql.save(locked, ("current_step",), None)
    with transaction.atomic():
        assert fastsql.lock_run(run.pk).current_step == run.current_step


def test_short_ways_give_what_get_db_prep_save_gives():
    fields = tuple(WorkflowRun._meta.get_field(name) for name in (
        "status", "error", "attempt", "wake_at", "data", "step_log", "active_child"))
    values = [WorkflowStatus.RUNNING, "", 3, dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
              {"a": 1}, [], None]
    ops = connection.ops
    for field, short, value in zip(fields, fastprep.plan(fields), values, strict=True):
        slow = field.get_db_prep_save(value, connection)
        fast = fastprep.SLOW if short is None else short(value, ops)
        if fast is fastprep.SLOW:
            continue
        assert type(fast) is type(slow) and getattr(fast, "obj", fast) == getattr(
            slow, "obj", slow), field.name
    naive = dt.datetime(2030, 1, 1)  # converted by Django, with its warning
    assert fastprep.plan(fields)[3](naive, ops) is fastprep.SLOW
    assert fastprep.plan(fields)[0](WaitKind.SIGNAL, ops) == WaitKind.SIGNAL
