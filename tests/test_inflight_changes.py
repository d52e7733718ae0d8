"""What happens to runs in flight when a deploy changes their workflow (docs/howto-deploying.md)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowRun, WorkflowStatus


def test_a_context_that_no_longer_validates_fails_the_run_with_a_clear_error(tm):
    # As if a deploy had changed the field's type while the run waited: the data was saved by
    # a Context class of another shape (another fingerprint).
    run = engine.start("sample_approvals")
    WorkflowRun.objects.filter(pk=run.pk).update(
        data={"approved": "maybe", "notes": ""}, context_fingerprint="0123456789abcdef",
        status=WorkflowStatus.FAILED, wait_kind="", waiting_for="")
    engine.retry_current_step(run.pk)
    run.refresh_from_db()
    assert run.status == WorkflowStatus.FAILED
    assert "saved Context no longer fits ApprovalWorkflow.Context" in run.error
    assert "was it changed while runs were in flight?" in run.error
    assert "approved" in run.error


def test_a_run_at_a_removed_step_fails_on_delivery_and_check_reports_it(tm):
    run = engine.start("sample_approvals")
    WorkflowRun.objects.filter(pk=run.pk).update(current_step="old_step_name")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("workflows", "check", "sample_approvals", stdout=StringIO(), stderr=err)
    assert "at step 'old_step_name', which the workflow no longer has" in err.getvalue()
    WorkflowRun.objects.filter(pk=run.pk).update(status=WorkflowStatus.FAILED)
    with pytest.raises(Exception, match="no longer has"):
        engine.retry_current_step(run.pk)
