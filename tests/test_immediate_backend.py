"""The embedded default backend, used without time_machine."""

import pytest
from django.db import transaction

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowRun, WorkflowStatus


@pytest.mark.django_db
def test_runs_to_completion_inside_a_test_transaction():
    run = engine.start("sample_order_fulfillment", order_id=3)
    assert run.status == WorkflowStatus.COMPLETED
    assert run.step_executions.count() == 3


@pytest.mark.django_db
def test_waits_for_the_callers_atomic_block(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            run = engine.start("sample_order_fulfillment", order_id=4)
        assert WorkflowRun.objects.get(pk=run.pk).status == WorkflowStatus.RUNNING
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED


@pytest.mark.django_db
def test_signal_resumes_inline():
    run = engine.start("sample_review")
    assert engine.signal("review_completed", {"reviewer_name": "Ann"}) == 1
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED and run.data["reviewer_name"] == "Ann"


@pytest.mark.django_db
def test_a_long_chain_does_not_recurse():
    run = engine.start("sample_order_management", customer_id=9)
    assert run.status == WorkflowStatus.COMPLETED
