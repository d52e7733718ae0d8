"""SPEC 7 and 9 with real commits: hand-offs after commit, nothing on rollback."""

import threading

import pytest
from django.db import connection, transaction

from django_ai.automation.testing import time_machine
from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.engine.execution import execute_step
from django_ai.automation.workflows.models import StepExecution, WorkflowRun, WorkflowStatus
from tests.testapp.models import Ledger

pytestmark = pytest.mark.django_db(transaction=True)


def test_start_inside_callers_transaction_runs_after_commit():
    with transaction.atomic():
        run = engine.start("sample_order_fulfillment", order_id=1)
        assert WorkflowRun.objects.get(pk=run.pk).status == WorkflowStatus.RUNNING
        assert not StepExecution.objects.exists()
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED


def test_start_in_rolled_back_transaction_leaves_nothing():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        engine.start("sample_order_fulfillment", order_id=1)
        raise ZeroDivisionError
    assert not WorkflowRun.objects.exists()


def test_signal_inside_rolled_back_transaction_changes_nothing():
    run = engine.start("sample_review")
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        assert engine.signal("review_completed", {"approved": True}) == 1
        raise ZeroDivisionError
    run.refresh_from_db()
    assert run.status == WorkflowStatus.SUSPENDED


def test_time_machine_with_real_commits_drops_rolled_back_handoffs():
    with time_machine():
        kept = engine.start("sample_order_fulfillment", order_id=1)
        with transaction.atomic():
            engine.start("sample_order_fulfillment", order_id=2)
            with pytest.raises(ZeroDivisionError), transaction.atomic():
                engine.start("sample_order_fulfillment", order_id=3)
                raise ZeroDivisionError
    kept.refresh_from_db()
    assert kept.status == WorkflowStatus.COMPLETED
    statuses = dict(WorkflowRun.objects.values_list("data__order_id", "status"))
    assert statuses == {1: "completed", 2: "completed"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks "
                    "(set DATABASE_URL to a PostgreSQL database)")
def test_two_concurrent_deliveries_execute_the_step_once():
    from tests.testapp import workflows as sample

    sample.CALLS.clear()
    with time_machine() as tm:  # queue deliveries instead of running them
        run = WorkflowRun.objects.create(name="sample_flaky", current_step="call_api",
                                         data={"fail_times": 0, "attempts_seen": 0})
        barrier = threading.Barrier(2)
        outcomes = []

        def deliver():
            barrier.wait()
            try:
                outcomes.append(execute_step(run.pk, "call_api", 0))
            finally:
                connection.close()

        threads = [threading.Thread(target=deliver) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        tm.run_until_idle()
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED
    assert sorted(outcomes) == [False, True]
    assert Ledger.objects.count() == 1
    assert run.step_executions.count() == 1
