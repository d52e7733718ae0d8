"""The dashboard's figures on a known set of runs."""

from datetime import timedelta

from django_ai.automation.workflows.clock import now
from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import StepExecution, WorkflowRun
from django_ai.automation.workflows.observe import dashboard


def test_figures(tm, order_run):
    failed = engine.start("ops_order", order_id=9, validate_failures=5)
    tm.advance(timedelta(minutes=2))
    at = now()
    data = dashboard.collect(at)
    counts = {(row["name"], row["status"]): row["count"] for row in data["runs_by_workflow"]}
    assert counts[("ops_order", "suspended")] == 1
    assert counts[("ops_order", "failed")] == 1
    assert counts[("ops_payment", "completed")] == 1
    finished = sum(row["completed"] + row["failed"] for row in data["throughput"])
    assert finished == StepExecution.objects.count()
    assert sum(row["failed"] for row in data["throughput"]) == 1
    assert [row["id"] for row in data["oldest_waiting"]] == [order_run.pk]
    assert data["oldest_waiting"][0]["waiting_seconds"] >= 120
    assert failed.pk not in [row["id"] for row in data["oldest_waiting"]]
    assert data["held_for_recovery"] == []


def test_timer_backlog_and_held_runs(tm, order_run):
    at = now()
    late = engine.start("sample_reminders")
    WorkflowRun.objects.filter(pk=late.pk).update(
        status="waiting", wait_kind="sleep", wake_at=at - timedelta(minutes=5))
    WorkflowRun.objects.filter(pk=order_run.pk).update(wake_at=at + timedelta(minutes=25))
    stuck = engine.start("sample_reminders")
    WorkflowRun.objects.filter(pk=stuck.pk).update(
        status="running", updated_at=at - timedelta(minutes=10))
    timers = dashboard.timer_backlog(at)
    assert timers["late"]["1 – 10 min"] == 1 and sum(timers["late"].values()) == 1
    assert timers["upcoming"]["in 20–30 min"] == 1
    assert timers["max_lateness_seconds"] == 300
    assert [row["id"] for row in dashboard.held_for_recovery(at)] == [stuck.pk]


def test_first_history_id_of_a_window(tm):
    for _ in range(5):
        engine.start("sample_order_fulfillment", order_id=1)
        tm.advance(timedelta(hours=1))
    rows = list(StepExecution.objects.order_by("id").values_list("id", "created_at"))
    for _row_id, created in rows:
        first = dashboard.first_step_id_since(created)
        assert {i for i, _c in rows if i >= first} == {i for i, c in rows if c >= created}
    assert dashboard.first_step_id_since(now() + timedelta(hours=1)) is None
