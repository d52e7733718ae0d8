"""Issue 10, point 5: one broken run never blocks the rest. A broadcast signal or an event that
reaches a run whose saved Context no longer fits its class fails that run on its own and
resumes the others; a payload that does not fit still rejects the whole call."""

from __future__ import annotations

import pytest

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.errors import SignalPayloadError
from django_ai.automation.workflows.models import StepExecution, WorkflowRun, WorkflowStatus
from tests import hardening_flows as flows


@pytest.fixture(autouse=True)
def _calls():
    flows.CALLS.clear()


def _break(run: WorkflowRun) -> None:
    """As if a deploy had changed the field's type while the run waited."""
    WorkflowRun.objects.filter(pk=run.pk).update(
        data={**run.data, "count": "twelve"}, context_fingerprint="0" * 16)


@pytest.mark.parametrize("batch_size", [1, 2000])
def test_a_broadcast_fails_the_broken_run_and_resumes_the_others(tm, settings, batch_size):
    settings.DJANGO_AI = {"SIGNAL_BATCH_SIZE": batch_size}
    runs = [engine.start("hard_waiter") for _ in range(3)]
    _break(runs[1])

    assert engine.signal("hard-go", {"approved": True}) == 2

    statuses = []
    for run in runs:
        run.refresh_from_db()
        statuses.append(run.status)
    assert statuses == [WorkflowStatus.COMPLETED, WorkflowStatus.FAILED, WorkflowStatus.COMPLETED]
    broken = runs[1]
    assert f"Signal 'hard-go' could not resume run {broken.pk} (hard_waiter)" in broken.error
    assert "saved Context no longer fits WaiterWorkflow.Context" in broken.error
    assert "field 'count'" in broken.error
    assert "payload" not in broken.error  # not blamed on the signal
    assert list(StepExecution.objects.filter(run=broken).values_list("step_name", "status")) \
        == [("wait_here", "failed")]
    assert flows.CALLS == ["decide approved=True"] * 2


def test_a_payload_that_does_not_fit_still_rejects_the_whole_call(tm):
    runs = [engine.start("hard_waiter") for _ in range(3)]
    _break(runs[1])
    with pytest.raises(SignalPayloadError, match="field 'approved'"):
        engine.signal("hard-go", {"approved": "perhaps"})
    for run in runs:
        run.refresh_from_db()
        assert run.status == WorkflowStatus.SUSPENDED  # the broken one too: nothing changed


def test_a_payload_that_repairs_the_broken_field_resumes_the_run(tm):
    run = engine.start("hard_waiter")
    _break(run)
    assert engine.signal("hard-go", {"count": 12}) == 1
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED
    assert run.data["count"] == 12


def test_a_signal_to_one_broken_run_fails_it_with_the_reason(tm):
    run = engine.start("hard_waiter")
    _break(run)
    assert engine.signal("hard-go", {"approved": True}, run_id=run.pk) == 0
    run.refresh_from_db()
    assert run.status == WorkflowStatus.FAILED
    assert "field 'count'" in run.error


def test_an_event_fails_the_broken_run_and_resumes_the_others(tm):
    runs = [engine.start("hard_event_waiter") for _ in range(3)]
    _break(runs[0])
    assert engine.wake_for_event("hard_event", "tests.thing", 1,
                                 {"event_id": 1, "event_name": "hard_event", "entity_id": 1}) == 2
    for run in runs:
        run.refresh_from_db()
    assert [run.status for run in runs] == [
        WorkflowStatus.FAILED, WorkflowStatus.COMPLETED, WorkflowStatus.COMPLETED]
    assert "Event 'hard_event' could not resume run" in runs[0].error
    assert runs[1].data["event_name"] == "hard_event"
