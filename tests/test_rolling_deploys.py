"""A delivery for a workflow or step this process does not know is handed back, not failed."""

from datetime import timedelta

import pytest
from django.db import transaction

from django_ai.automation.workflows import registry
from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.engine.deploys import next_delay
from django_ai.automation.workflows.management.runinfo import problems_in_flight, why_waiting
from django_ai.automation.workflows.models import WaitKind, WorkflowRun, WorkflowStatus


def forget(name: str):
    """This process "runs the old code": it does not know workflow ``name`` until deployed."""
    spec = registry.get(name)
    registry.unregister(name)

    def deploy() -> None:
        registry.register(spec)

    return deploy


@pytest.fixture
def old_code():
    deploy = forget("prod_quick")
    yield deploy
    deploy()


def test_an_unknown_workflow_is_handed_back_and_runs_once_a_process_knows_it(tm, old_code):
    run = WorkflowRun.objects.create(name="prod_quick", current_step="only")
    tm.advance(timedelta(seconds=0))
    engine.execute(run.pk, "only", 0)
    run.refresh_from_db()
    assert (run.status, run.wait_kind) == (WorkflowStatus.WAITING, WaitKind.CODE)
    assert "not registered in this process" in run.error and "Handed back" in run.error
    assert run.unknown_code_since == tm.now
    assert "Handed back" in why_waiting(run)
    assert any("handed back since" in problem for problem in problems_in_flight(run))

    tm.advance(timedelta(seconds=5))  # still unknown: handed back again, later
    run.refresh_from_db()
    assert run.wait_kind == WaitKind.CODE and run.wake_at > tm.now

    old_code()  # the new code reaches this process
    tm.advance(timedelta(minutes=1))
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED
    assert (run.error, run.unknown_code_since) == ("", None)


def test_the_run_fails_with_the_old_error_once_the_grace_period_is_over(tm, old_code, settings):
    settings.DJANGO_AI = {"UNKNOWN_CODE_GRACE_SECONDS": 120}
    run = WorkflowRun.objects.create(name="prod_quick", current_step="only")
    engine.execute(run.pk, "only", 0)
    tm.advance(timedelta(seconds=119))
    run.refresh_from_db()
    assert run.status == WorkflowStatus.WAITING
    tm.advance(timedelta(seconds=2))
    run.refresh_from_db()
    assert run.status == WorkflowStatus.FAILED
    assert "Workflow 'prod_quick' is not registered in this process." in run.error
    assert "No process knew it for 0:02:00" in run.error


def test_an_unknown_step_is_handed_back_too(tm):
    run = WorkflowRun.objects.create(name="prod_early", current_step="added_later")
    engine.execute(run.pk, "added_later", 0)
    run.refresh_from_db()
    assert run.wait_kind == WaitKind.CODE
    assert "has no step 'added_later'" in run.error


def test_a_planned_start_of_an_unknown_workflow_stays_planned(tm, old_code):
    run = WorkflowRun.objects.create(name="prod_quick", current_step="only",
                                     status=WorkflowStatus.WAITING, wait_kind=WaitKind.START,
                                     wake_at=tm.now)
    tm.advance(timedelta(seconds=0))
    run.refresh_from_db()
    assert (run.status, run.wait_kind) == (WorkflowStatus.WAITING, WaitKind.START)
    assert run.unknown_code_since is not None
    old_code()
    tm.advance(timedelta(seconds=30))
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED


def test_hand_backs_back_off():
    delays = [next_delay(timedelta(seconds=waited)) for waited in (0, 1, 10, 100, 10_000)]
    assert delays == [timedelta(seconds=s) for s in (1, 1, 5, 50, 60)]


def test_a_signal_sent_by_a_process_without_the_code_is_kept_for_one_that_has_it(tm):
    run = engine.start("prod_once")
    deploy = forget("prod_once")
    try:
        outcome = engine.signal("prod-paid", {"order_id": 4}, run_id=run.pk)
        assert (outcome, outcome.kept) == (0, 1)
        run.refresh_from_db()
        assert run.status == WorkflowStatus.SUSPENDED and run.unknown_code_since == tm.now
        assert run.kept_signals[0]["payload"] == {"order_id": 4}
        assert "not registered in this process" in run.error
        tm.advance(timedelta(seconds=5))  # the timer fires here: still unknown, tried later
        run.refresh_from_db()
        assert run.status == WorkflowStatus.SUSPENDED and run.wake_at > tm.now
    finally:
        deploy()
    tm.advance(timedelta(minutes=1))
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED
    assert run.data["order_id"] == 4 and run.kept_signals == [] and run.error == ""
    assert list(run.step_executions.values_list("step_name", flat=True)) == [
        "wait_for_payment", "done"]


def test_a_resume_step_this_process_lacks_is_kept_then_fails_after_the_grace(tm, settings):
    settings.DJANGO_AI = {"UNKNOWN_CODE_GRACE_SECONDS": 60}
    run = engine.start("prod_once")
    WorkflowRun.objects.filter(pk=run.pk).update(resume_step="added_later")
    assert engine.signal("prod-paid").kept == 1
    tm.advance(timedelta(seconds=61))
    run.refresh_from_db()
    assert run.status == WorkflowStatus.FAILED
    assert "'added_later'" in run.error and "No process knew it" in run.error


def test_an_early_signal_to_a_run_of_unknown_code_is_kept_and_validated_later(tm):
    with transaction.atomic():  # the run stays at its first step until the block ends
        run = engine.start("prod_early")
        deploy = forget("prod_early")
        try:
            assert engine.signal("prod-approve", {"approved": True}, run_id=run.pk).kept == 1
        finally:
            deploy()
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED and run.data["approved"] is True


def test_the_previous_release_can_still_insert_runs_after_the_migration(db):
    """During a rolling deploy old processes insert runs without the columns added here."""
    new = {"idempotency_key", "kept_signals", "unknown_code_since"}
    fields = [field for field in WorkflowRun._meta.concrete_fields
              if field.name not in new and not field.primary_key]
    run = WorkflowRun(name="prod_quick", current_step="only")
    WorkflowRun._base_manager._insert([run], fields=fields)
    stored = WorkflowRun.objects.get(name="prod_quick")
    assert (stored.idempotency_key, stored.kept_signals, stored.unknown_code_since) == ("", [],
                                                                                       None)


def test_workflows_check_lists_handed_back_runs(tm, old_code):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    run = WorkflowRun.objects.create(name="prod_quick", current_step="only")
    engine.execute(run.pk, "only", 0)
    err = StringIO()
    with pytest.raises(CommandError, match="problem"):
        call_command("workflows", "check", stdout=StringIO(), stderr=err)
    assert f"run {run.pk} (prod_quick): handed back since" in err.getvalue()
    assert "not registered in this process" in err.getvalue()
