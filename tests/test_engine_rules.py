"""Each row of SPEC sections 3 and 5, and the bad-input errors of the core engine."""

from datetime import timedelta

import pytest

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.engine.outcomes import ContextFieldIgnoredWarning
from django_ai.automation.workflows.errors import RunStateError, SignalPayloadError
from django_ai.automation.workflows.models import StepExecution, WorkflowRun, WorkflowStatus
from tests.testapp import rules
from tests.testapp.models import Ledger


@pytest.fixture(autouse=True)
def _clear_log():
    rules.LOG.clear()


def steps(run):
    return list(run.step_executions.values_list("step_name", "status"))


def test_goto_progress_and_complete_merges_known_fields_with_warning(tm):
    run = engine.start("rules_progress")
    assert (run.status, run.progress) == (WorkflowStatus.SUSPENDED, 0.5)
    with pytest.warns(ContextFieldIgnoredWarning, match="nonsense"):
        engine.signal("rules_go")
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED
    assert run.progress == 1.0
    assert run.data == {"final_status": "approved"}
    assert run.completion_display == {"display_title": "Done"}
    assert run.current_step_display["completion_display"] == {"display_title": "Done"}


@pytest.mark.parametrize(("mode", "needle"), [
    ("bad_goto", "'no_such_step' is not a step of this workflow"),
    ("none", "returned None"),
    ("number", "returned 42"),
    ("dangling", "no step is written after it"),
])
def test_mistakes_fail_at_once_without_retries_and_run_on_fail(tm, mode, needle):
    run = engine.start("rules_mistakes", mode=mode)
    if mode == "dangling":
        run.refresh_from_db()
    assert run.status == WorkflowStatus.FAILED, run.error
    assert needle in run.error
    assert run.data["compensated"] is True
    assert [f"on_fail {run.pk}"] == rules.LOG
    failed = run.step_executions.get(status="failed")
    assert needle in failed.error
    # The failing attempt's own writes were rolled back; no retry was scheduled.
    if mode != "dangling":
        assert Ledger.objects.count() == 0
    assert run.attempt == 0 and run.wake_at is None


def test_fail_reason_runs_on_fail_and_keeps_step_writes(tm):
    run = engine.start("rules_mistakes", mode="fail")
    assert run.status == WorkflowStatus.FAILED
    assert run.error == "Validation failed: missing required documents"
    assert steps(run) == [("decide", "failed")]
    assert Ledger.objects.count() == 1


def test_timeout_without_on_timeout_fails_with_timed_out_error(tm):
    run = engine.start("rules_mistakes", mode="timeout")
    assert run.status == WorkflowStatus.SUSPENDED
    assert run.wake_at == tm.now + timedelta(minutes=5)
    tm.advance(timedelta(minutes=5))
    run.refresh_from_db()
    assert run.status == WorkflowStatus.FAILED
    assert "timed out waiting for signal 'rules_never'" in run.error
    assert engine.signal("rules_never") == 0


def test_exception_in_on_fail_is_rolled_back_and_original_error_kept(tm):
    run = engine.start("rules_broken_on_fail")
    assert run.status == WorkflowStatus.FAILED
    assert "ValueError: Boom!" in run.error
    assert run.data == {"touched": False}
    assert not Ledger.objects.exists()


def test_backoff_delays_follow_policy_and_history_has_one_failure(tm):
    run = engine.start("rules_backoff")
    waits = []
    for _ in range(3):
        run.refresh_from_db()
        assert run.status == WorkflowStatus.WAITING
        waits.append(run.wake_at - tm.now)
        tm.advance(run.wake_at - tm.now)
    run.refresh_from_db()
    assert waits == [timedelta(seconds=10), timedelta(seconds=20), timedelta(seconds=25)]
    assert run.status == WorkflowStatus.FAILED
    assert steps(run) == [("always_fails", "failed")]
    assert run.step_executions.get().attempt == 4


def test_decorated_event_wait_suspends_before_body_with_waiting_display(tm):
    run = engine.start("rules_event_wait")
    display = run.current_step_display
    assert display["status"] == "suspended" and display["step_type"] == "waiting"
    assert display["waiting_display"] == {
        "display_title": "Authorization Required",
        "display_subtitle": "Please complete OAuth in the popup window",
        "display_waiting_for": "OAuth authorization",
    }
    assert run.data["body_ran"] is False
    assert engine.wake_for_event("rules_oauth", "", "", {"event_id": 9, "event_name": "rules_oauth",
                                                          "entity_id": None}) == 1
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED
    assert run.data["body_ran"] is True and run.data["event_id"] == 9
    assert run.current_step_display["waiting_display"] == {}


def test_decorated_event_wait_times_out_into_failure(tm):
    run = engine.start("rules_event_wait")
    tm.advance(timedelta(minutes=10))
    run.refresh_from_db()
    assert run.status == WorkflowStatus.FAILED
    assert "timed out waiting for event 'rules_oauth'" in run.error


def test_signal_targets_one_run_and_rejects_bad_payload_without_changes(tm):
    first = engine.start("sample_review")
    second = engine.start("sample_review")
    with pytest.raises(SignalPayloadError) as info:
        engine.signal("review_completed", {"approved": "not really"})
    assert f"run {first.pk}" in str(info.value) and "'approved'" in str(info.value)
    for run in (first, second):
        run.refresh_from_db()
        assert run.status == WorkflowStatus.SUSPENDED and run.data["approved"] is False
    assert engine.signal("review_completed", {"approved": True}, run_id=second.pk) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == WorkflowStatus.SUSPENDED
    assert second.status == WorkflowStatus.COMPLETED and second.data["approved"] is True


def test_cancel_parent_cancels_running_children_depth_first(tm):
    top = engine.start("rules_top", entity_id="E-1")
    middle = WorkflowRun.objects.get(parent_run=top)
    leaf = WorkflowRun.objects.get(parent_run=middle)
    assert (top.status, middle.status, leaf.status) == ("suspended",) * 3
    assert leaf.entity_id == "E-1" and middle.entity_id == "E-1"
    with pytest.raises(RunStateError, match=f"subworkflow of run {middle.pk}"):
        engine.cancel(leaf.pk)
    assert engine.cancel(top.pk, reason="customer left") is True
    for run in (top, middle, leaf):
        run.refresh_from_db()
        assert run.status == WorkflowStatus.CANCELLED
    cancelled_ids = list(StepExecution.objects.filter(status="cancelled")
                         .order_by("id").values_list("run_id", flat=True))
    assert cancelled_ids == [leaf.pk, middle.pk, top.pk]
    assert rules.LOG == []  # no parent resumed from the cancellation
    assert engine.cancel(top.pk) is False  # terminal runs stay unchanged


def test_retrying_parent_at_on_complete_gets_same_subflow_result(tm):
    top = engine.start("rules_top")
    leaf = WorkflowRun.objects.get(parent_run__parent_run=top)
    engine.signal("rules_release")
    top.refresh_from_db()
    assert top.status == WorkflowStatus.FAILED
    middle_id = top.data["active_subworkflow_run_id"]
    top.retry_current_step()
    assert top.status == WorkflowStatus.COMPLETED
    # fail() keeps the step's Context changes, so both looks at the result are recorded.
    assert top.data["results"] == [f"completed:{middle_id}"] * 2
    assert rules.LOG.count(f"top after completed {middle_id}") == 2
    assert leaf.pk != middle_id


def test_retry_current_step_refuses_completed_runs(tm):
    run = engine.start("sample_user_onboarding", user_id=1)
    with pytest.raises(RunStateError, match="completed"):
        run.retry_current_step()


def test_get_context_outside_a_step_raises():
    from django_ai.automation.workflows.core import get_context
    from django_ai.automation.workflows.errors import NoActiveStepError

    with pytest.raises(NoActiveStepError, match="outside a running step"):
        get_context()


def test_unknown_workflow_lists_known_names(tm):
    from django_ai.automation.workflows.errors import UnknownWorkflowError

    with pytest.raises(UnknownWorkflowError, match=r"Known workflows: .*user_onboarding"):
        engine.start("no_such_workflow")
    assert not WorkflowRun.objects.exists()


def test_runs_whose_steps_disappeared_fail_with_a_clear_error(tm):
    waiting = engine.start("sample_review")
    WorkflowRun.objects.filter(pk=waiting.pk).update(resume_step="removed_step")
    engine.signal("review_completed")
    waiting.refresh_from_db()
    # Set aside for a process that knows the step (tests/test_rolling_deploys.py), then failed.
    assert waiting.status == WorkflowStatus.SUSPENDED and waiting.unknown_code_since
    tm.advance(timedelta(minutes=16))
    waiting.refresh_from_db()
    assert waiting.status == WorkflowStatus.FAILED
    assert "'removed_step'" in waiting.error

    from django_ai.automation.workflows.engine.execution import execute_step

    stale = WorkflowRun.objects.create(name="sample_review", current_step="renamed_step")
    assert execute_step(stale.pk, "renamed_step", 0) is True
    stale.refresh_from_db()
    # Handed back first (another process may know the step: tests/test_rolling_deploys.py);
    # it fails with the clear error once the grace period is over.
    assert stale.status == WorkflowStatus.WAITING and stale.wait_kind == "code"
    tm.advance(timedelta(minutes=16))
    stale.refresh_from_db()
    assert stale.status == WorkflowStatus.FAILED
    assert "has no step 'renamed_step'" in stale.error


def test_complete_with_a_value_the_context_rejects_fails_at_once(tm):
    run = engine.start("rules_bad_complete")
    assert run.status == WorkflowStatus.FAILED
    assert "acting on its result failed" in run.error and "count" in run.error
    assert run.data == {"count": 0}
