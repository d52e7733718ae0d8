"""Issue 12 meets issue 10: kept signals, discards and hand-backs under the strictness rules."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import transaction

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.engine import kept
from django_ai.automation.workflows.engine.contextdata import fingerprint
from django_ai.automation.workflows.errors import SignalPayloadError
from django_ai.automation.workflows.models import (
    StepExecution,
    WaitKind,
    WorkflowRun,
    WorkflowStatus,
)
from tests import hardening_flows as flows
from tests.test_rolling_deploys import forget
from tests.testapp import production


def test_a_kept_signal_refuses_a_key_the_run_does_not_declare(tm):
    run = engine.start("hard_waiter")  # waits for "hard-go": another name is kept
    with pytest.raises(SignalPayloadError, match=r"'typo'.*not fields of run \d+'s Context"):
        engine.signal("hard-later", {"note": "x", "typo": 1}, run_id=run.pk)
    run.refresh_from_db()
    assert run.kept_signals == [] and run.status == WorkflowStatus.SUSPENDED


def test_a_kept_signal_refuses_a_value_the_database_cannot_store(tm):
    run = engine.start("hard_waiter")
    with pytest.raises(SignalPayloadError, match="amount"):
        engine.signal("hard-later", {"amount": float("inf")}, run_id=run.pk)
    assert WorkflowRun.objects.get(pk=run.pk).kept_signals == []


def test_a_kept_signal_accepts_an_alias_and_keeps_the_field(tm):
    run = engine.start("hard_aliases")
    assert engine.signal("hard-later", {"nb-days": 3}, run_id=run.pk).kept == 1
    run.refresh_from_db()
    assert run.kept_signals[0]["payload"] == {"days": 3}


def test_a_consumed_kept_signal_is_saved_as_a_step_saves_its_context(tm):
    spy = mock.patch.object(kept, "dump_context", wraps=kept.dump_context)
    with spy as dump, transaction.atomic():  # the steps run when the block commits
        run = engine.start("prod_early")
        engine.signal("prod-approve", {"approved": True}, run_id=run.pk)
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED and run.data["approved"] is True
    assert [call.args[1] for call in dump.call_args_list] == [
        "Signal kept for step 'ask' of workflow 'prod_early'"]
    assert run.context_fingerprint == fingerprint(production.EarlyWorkflow.Context)


def test_a_failing_run_discards_its_kept_signals_and_still_compensates(tm):
    flows.CALLS.clear()
    with transaction.atomic():  # kept before the first step runs (and fails: inf)
        run = engine.start("hard_values", mode="inf")
        assert engine.signal("hard-later", {"note": "late"}, run_id=run.pk).kept == 1
    run.refresh_from_db()
    assert run.status == WorkflowStatus.FAILED and "amount" in run.error
    assert run.data["compensated"] is True and run.kept_signals == []
    discarded = run.step_executions.filter(status=StepExecution.Status.SIGNAL_DISCARDED)
    assert [row.error.split(" (")[0] for row in discarded] == ["Kept signal 'hard-later'"]


@pytest.fixture
def one_try(settings):
    settings.DJANGO_AI = {"MAX_TRIES_WITHOUT_PROGRESS": 1, "UNKNOWN_CODE_GRACE_SECONDS": 600}
    deploy = forget("prod_quick")
    yield deploy
    deploy()


def test_handing_back_unknown_code_is_not_a_try_without_progress(tm, one_try):
    # A run whose lost deliveries already used up its tries is handed back, not failed.
    run = WorkflowRun.objects.create(name="prod_quick", current_step="only", redeliveries=5)
    engine.execute(run.pk, "only", 0)
    run.refresh_from_db()
    assert (run.status, run.wait_kind, run.redeliveries) == (
        WorkflowStatus.WAITING, WaitKind.CODE, 0)
    for _ in range(8):  # many hand-backs, each a delivery like any other
        tm.advance(timedelta(seconds=60))
    run.refresh_from_db()
    assert (run.status, run.wait_kind) == (WorkflowStatus.WAITING, WaitKind.CODE)
    one_try()  # the new code arrives before the grace period ends
    tm.advance(timedelta(seconds=60))
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED
