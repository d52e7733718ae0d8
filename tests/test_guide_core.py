"""The guide's core examples, run as written through the engine."""

from datetime import timedelta

import pytest

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import StepExecution, WorkflowRun, WorkflowStatus
from tests.testapp import workflows as sample
from tests.testapp.models import Ledger


def history(run):
    return list(run.step_executions.values_list("step_name", "status"))


def test_multi_step_flow_records_each_step(tm):
    run = engine.start("sample_order_fulfillment", order_id=7)
    assert run.status == WorkflowStatus.COMPLETED
    assert run.data == {"order_id": 7, "payment_confirmed": True, "items_reserved": True,
                        "shipped": True}
    assert history(run) == [("confirm_payment", "completed"), ("reserve_inventory", "completed"),
                            ("ship_order", "completed")]
    assert run.progress == 1.0


def test_sleep_reruns_same_step_until_escalation(tm):
    run = engine.start("sample_reminders")
    run.refresh_from_db()
    assert run.status == WorkflowStatus.WAITING
    assert run.wake_at == tm.now + timedelta(hours=24)
    tm.advance(timedelta(hours=23))
    run.refresh_from_db()
    assert run.data["reminders_sent"] == 1
    tm.advance(timedelta(hours=1))
    run.refresh_from_db()
    assert run.data["reminders_sent"] == 2
    tm.advance(timedelta(days=1))
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED
    assert run.data["escalated"] is True
    # Sleeps write no history; the final pass of send_reminder and escalate do.
    assert history(run) == [("send_reminder", "completed"), ("escalate", "completed")]


def test_signal_resumes_at_next_step_and_merges_payload(tm):
    run = engine.start("sample_review")
    assert run.status == WorkflowStatus.SUSPENDED
    resumed = engine.signal("review_completed", {"reviewer_name": "Jane Smith",
                                                 "review_notes": "Looks good!", "approved": True})
    assert resumed == 1
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED
    assert run.data == {"reviewer_name": "Jane Smith", "review_notes": "Looks good!",
                        "approved": True}
    assert sample.CALLS == ["reviewed by Jane Smith"]
    assert run.completion_display == {"display_title": "Reviewed",
                                      "display_subtitle": "Looks good!"}
    assert history(run) == [("wait_for_review", "completed"), ("process_review", "completed")]


def test_signal_with_no_waiting_run_returns_zero(tm):
    assert engine.signal("nobody_waits") == 0


def test_signal_timeout_goes_to_on_timeout_and_late_signal_changes_nothing(tm):
    run = engine.start("sample_approvals")
    engine.signal("manager_approval", {"approved": True, "notes": "Looks good"})
    run.refresh_from_db()
    assert (run.status, run.current_step) == (WorkflowStatus.SUSPENDED, "wait_with_timeout")
    tm.advance(timedelta(days=7))
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED
    assert run.data["status"] == "expired"
    assert engine.signal("user_response") == 0


def test_retry_then_success_rolls_back_failed_attempts(tm):
    run = engine.start("sample_flaky")
    run.refresh_from_db()
    assert run.status == WorkflowStatus.WAITING
    assert run.wake_at == tm.now + timedelta(seconds=2)
    tm.advance(timedelta(seconds=2))
    run.refresh_from_db()
    assert run.wake_at == tm.now + timedelta(seconds=4)
    tm.advance(timedelta(seconds=4))
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED
    # Failed attempts left neither Context changes nor their own rows behind.
    assert run.data == {"fail_times": 2, "attempts_seen": 1}
    assert sample.CALLS == ["call_api"] * 3
    assert Ledger.objects.count() == 1
    assert history(run) == [("call_api", "completed")]


def test_on_fail_compensates_completed_steps(tm):
    run = engine.start("sample_order_processing", order_id=5)
    tm.advance(timedelta(seconds=1))
    run.refresh_from_db()
    assert run.status == WorkflowStatus.FAILED
    assert "shipping service down" in run.error
    assert run.data["cleanup_performed"] is True and run.data["refunded"] is True
    assert sample.CALLS == ["refund ch_5", "release res_5"]
    failed = run.step_executions.get(status="failed")
    assert failed.step_name == "ship_order"
    assert "ConnectionError" in failed.error and "Traceback" in failed.error


def test_subflow_passes_result_to_parent(tm):
    parent = engine.start("sample_user_registration", user_email="a@example.com")
    assert parent.status == WorkflowStatus.COMPLETED
    child = WorkflowRun.objects.get(parent_run=parent)
    assert parent.data["active_subworkflow_run_id"] == child.pk
    assert sample.CALLS == ["email sent: True"]


def test_failed_subflow_is_handled_in_on_complete(tm):
    parent = engine.start("sample_user_registration", user_email="bad@example.com")
    assert parent.status == WorkflowStatus.FAILED
    assert "Notification failed: mailbox unavailable" in parent.error


def test_nested_subflows_three_deep(tm):
    top = engine.start("sample_order_management", customer_id=1)
    assert top.status == WorkflowStatus.COMPLETED
    assert top.data["order_complete"] is True
    assert WorkflowRun.objects.filter(status=WorkflowStatus.COMPLETED).count() == 3


def test_cancel_parent_cancels_waiting_child_first(tm):
    parent = engine.start("sample_user_registration", user_email="x@example.com")
    # A registration whose child waits forever: use the verification workflow as a child.
    from tests.testapp.workflows import EmailVerificationWorkflow  # noqa: F401

    child_run = engine.start("sample_email_verification", email="y@example.com")
    assert child_run.status == WorkflowStatus.SUSPENDED
    assert parent.status == WorkflowStatus.COMPLETED
    assert StepExecution.objects.filter(run=child_run).count() == 1


@pytest.mark.parametrize(("name", "kwargs"), [
    ("sample_order_fulfillment", {}),
    ("sample_user_onboarding", {"user_id": "not-a-number"}),
])
def test_start_with_invalid_context_creates_nothing(tm, name, kwargs):
    from django_ai.automation.workflows.errors import ContextError

    with pytest.raises(ContextError, match=f"Workflow {name!r} cannot start"):
        engine.start(name, **kwargs)
    assert WorkflowRun.objects.count() == 0
