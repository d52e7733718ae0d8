"""Issue 15: a signal's locked batches are loaded as tuples into complete run instances."""

import datetime as dt

import pytest
from django.db import transaction
from django.db.models import signals
from django.forms.models import model_to_dict

from django_ai.automation.workflows.engine import fastload
from django_ai.automation.workflows.models import WaitKind, WorkflowRun, WorkflowStatus


def _fields(run: WorkflowRun) -> dict:
    return {f.attname: getattr(run, f.attname) for f in WorkflowRun._meta.concrete_fields}


@pytest.fixture
def runs(db):
    made = [
        WorkflowRun.objects.create(name="fastload", status=WorkflowStatus.SUSPENDED,
                                   wait_kind=WaitKind.SIGNAL, waiting_for="go"),
        WorkflowRun.objects.create(
            name="fastload", status=WorkflowStatus.SUSPENDED, wait_kind=WaitKind.SIGNAL,
            waiting_for="go", data={"a": [1, {"b": "ü"}], "n": None, "s": "{}"},
            waiting_display={"title": "Wait"}, step_log=[{"k": "wait", "d": 1.5}],
            kept_signals=[{"name": "x", "payload": {}, "kept_at": "t"}], trace_context={},
            wake_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
        ),
    ]
    return made


def test_instances_match_the_orm(runs):
    queryset = WorkflowRun.objects.filter(name="fastload").order_by("pk")
    with transaction.atomic():
        fast = fastload.runs(queryset.select_for_update(), 10)
    slow = list(queryset)
    assert [_fields(run) for run in fast] == [_fields(run) for run in slow]
    assert fast[1].data == {"a": [1, {"b": "ü"}], "n": None, "s": "{}"}
    assert all(not run._state.adding and run.get_deferred_fields() == set() for run in fast)
    assert fast[0].data is not fast[1].data and fast[0].completion_display == {}
    assert model_to_dict(fast[1]) == model_to_dict(slow[1])


def test_size_limits_the_batch(runs):
    queryset = WorkflowRun.objects.filter(name="fastload").order_by("pk")
    assert [run.pk for run in fastload.runs(queryset, 1)] == [runs[0].pk]


def test_saved_instance_writes_every_field(runs):
    run = fastload.runs(WorkflowRun.objects.filter(pk=runs[1].pk).order_by("pk"), 5)[0]
    run.data["added"] = True
    run.save()
    run.refresh_from_db()
    assert run.data["added"] is True and run.step_log == [{"k": "wait", "d": 1.5}]


def test_init_listeners_keep_the_ordinary_path(runs):
    seen = []

    def listener(sender, instance, **kwargs):
        seen.append(instance.pk)

    signals.post_init.connect(listener, sender=WorkflowRun)
    try:
        loaded = fastload.runs(WorkflowRun.objects.filter(name="fastload").order_by("pk"), 10)
    finally:
        signals.post_init.disconnect(listener, sender=WorkflowRun)
    assert seen == [run.pk for run in loaded] == [run.pk for run in runs]


def test_history_rows_as_one_json_parameter(runs):
    from django.db import connection

    from django_ai.automation.workflows.engine import fastsql
    from django_ai.automation.workflows.models import StepExecution

    if connection.vendor != "postgresql":
        pytest.skip("fastsql.insert_values is the PostgreSQL path")
    at = dt.datetime(2031, 2, 3, 4, 5, 6, 789012, tzinfo=dt.UTC)
    rows = [{"run_id": run.pk, "step_name": 'st"ep\\ ü', "status": StepExecution.Status.COMPLETED,
             "error": "", "attempt": 3, "created_at": at,
             "segments": [{"k": "wait", "d": 1.5, "u": None, "s": "{}"}]} for run in runs]
    fastsql.insert_values(StepExecution, rows)
    saved = list(StepExecution.objects.filter(run__in=runs).order_by("id"))
    got = [(row.run_id, row.step_name, row.status, row.attempt, row.segments) for row in saved]
    assert got == [
        (run.pk, 'st"ep\\ ü', "completed", 3, [{"k": "wait", "d": 1.5, "u": None, "s": "{}"}])
        for run in runs]
    assert all(row.created_at.tzinfo is not None for row in saved)  # auto_now_add: the call's time
