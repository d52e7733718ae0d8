"""Issue 10, point 4 (engine part): retry means retry. Only a FAILED run, or one waiting out a
retry backoff, may be retried; anything else raises RunStateError with the run's status and
nothing runs. The REST API answers 409 and the command exits with an error."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.errors import RunStateError
from django_ai.automation.workflows.models import StepExecution, WorkflowRun, WorkflowStatus
from tests import hardening_flows as flows


def _snapshot(run: WorkflowRun) -> tuple:
    run.refresh_from_db()
    return (run.status, run.current_step, run.seq, run.wake_at, run.active_child_id,
            StepExecution.objects.filter(run=run).count(), WorkflowRun.objects.count())


def _refused(run: WorkflowRun, status: str) -> None:
    before = _snapshot(run)
    with pytest.raises(RunStateError) as raised:
        engine.retry_current_step(run.pk)
    assert f"Run {run.pk} ({run.name}) is {status}" in str(raised.value)
    assert "only a failed run, or one waiting out a retry backoff" in str(raised.value)
    assert _snapshot(run) == before


def test_a_sleeping_run_is_not_retried(tm):
    run = engine.start("sample_reminders")
    assert run.data["reminders_sent"] == 1
    _refused(run, "waiting (sleep wait)")
    run.refresh_from_db()
    assert run.data["reminders_sent"] == 1  # no second reminder


def test_a_run_waiting_for_a_signal_is_not_retried(tm):
    run = engine.start("hard_waiter")
    _refused(run, "suspended (signal wait)")


def test_a_parent_waiting_on_its_child_starts_no_second_child(tm):
    parent = engine.start("hard_parent")
    _refused(parent, "suspended (subflow wait)")
    assert WorkflowRun.objects.filter(parent_run=parent).count() == 1


@pytest.mark.parametrize("finish", ["complete", "cancel"])
def test_a_finished_run_is_not_retried(tm, finish):
    run = engine.start("hard_waiter")
    if finish == "complete":
        engine.signal("hard-go", {"approved": True})
    else:
        engine.cancel(run.pk)
    flows.CALLS.clear()
    _refused(run, "completed" if finish == "complete" else "cancelled")
    assert flows.CALLS == []


def test_a_running_run_is_not_retried(db):
    run = WorkflowRun.objects.create(name="hard_waiter", status=WorkflowStatus.RUNNING,
                                     current_step="wait_here")
    _refused(run, "running at step 'wait_here'")


def test_a_failed_run_is_retried(tm):
    run = engine.start("sample_flaky", fail_times=5)  # fails all three attempts
    tm.advance(timedelta(minutes=5))
    run.refresh_from_db()
    assert run.status == WorkflowStatus.FAILED
    engine.retry_current_step(run.pk)
    run.refresh_from_db()
    assert run.status in (WorkflowStatus.WAITING, WorkflowStatus.COMPLETED)
    assert run.attempt <= 1


def test_a_run_waiting_out_a_retry_backoff_is_retried_now(tm):
    run = engine.start("sample_flaky", fail_times=1)
    run.refresh_from_db()
    assert (run.status, run.wait_kind) == (WorkflowStatus.WAITING, "retry")
    engine.retry_current_step(run.pk)  # "retry now", without waiting out the backoff
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED


def test_the_command_reports_the_refusal(tm):
    run = engine.start("hard_waiter")
    with pytest.raises(CommandError, match="is suspended"):
        call_command("workflows", "retry", str(run.pk), stdout=StringIO())


def test_the_api_answers_409_with_the_status(tm, client, django_user_model):
    staff = django_user_model.objects.create_user("ops", password="x", is_staff=True)
    client.force_login(staff)
    run = engine.start("hard_waiter")
    response = client.post(f"/api/workflows/runs/{run.pk}/retry/")
    assert response.status_code == 409, response.content
    assert response.json()["status"] == "suspended"
    assert "only a failed run" in response.json()["detail"]


def test_a_run_whose_workflow_was_removed_is_refused_with_run_state_error(tm):
    run = engine.start("hard_waiter")
    WorkflowRun.objects.filter(pk=run.pk).update(status=WorkflowStatus.FAILED,
                                                 name="removed_workflow")
    with pytest.raises(RunStateError, match="'removed_workflow' is not registered"):
        engine.retry_current_step(run.pk)
