"""A run set aside during a rolling deploy (a signal or event reached it in a process without
its code: ``engine/deferred.py``) is no longer waiting: the payload kept for its wait resumes
it, once, at its timer. A later signal or event must neither resume that wait a second time nor
leave the kept payload for a later wait of the same name (the same signal taken twice)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import BaseModel

from django_ai.automation.workflows.core import (
    complete,
    engine,
    get_context,
    step,
    wait,
    wait_for_event,
)
from django_ai.automation.workflows.core import workflow as declare
from django_ai.automation.workflows.engine import fastsignal
from django_ai.automation.workflows.models import (
    StepExecution,
    WaitKind,
    WorkflowRun,
    WorkflowStatus,
)
from tests.test_rolling_deploys import forget


@declare("sa_twice")
class TwiceWorkflow:
    """Waits for the same signal twice; each wait notes the payload it took."""

    class Context(BaseModel):
        note: str = ""
        seen: list[str] = []

    @step(start=True)
    def first(self):
        return wait.for_signal("sa-go")

    @step()
    def middle(self):
        ctx = get_context()
        ctx.seen = [*ctx.seen, ctx.note]
        return wait.for_signal("sa-go")

    @step()
    def done(self):
        ctx = get_context()
        ctx.seen = [*ctx.seen, ctx.note]
        return complete()


@declare("sa_event")
class EventWorkflow:
    class Context(BaseModel):
        note: str = ""
        seen: list[str] = []

    @step(start=True)
    @wait_for_event("sa-happened")
    def on_event(self):
        ctx = get_context()
        ctx.seen = [*ctx.seen, ctx.note]
        return wait.for_signal("sa-happened")

    @step()
    def done(self):
        return complete()


def set_aside(name: str, send) -> None:
    """``send()`` runs in a process that lacks workflow ``name`` (the old release)."""
    deploy = forget(name)
    try:
        outcome = send()
        assert outcome == 0
    finally:
        deploy()


def fresh(run: WorkflowRun) -> WorkflowRun:
    run.refresh_from_db()
    return run


@pytest.fixture(params=["grouped", "per-run"])
def path(request, monkeypatch):
    """Broadcasts take the grouped path (PostgreSQL) or the per-run path."""
    monkeypatch.setattr(fastsignal, "ENABLED", request.param == "grouped")
    return request.param


def test_a_broadcast_does_not_resume_a_set_aside_run_a_second_time(tm, path):
    run = engine.start("sa_twice")
    set_aside("sa_twice", lambda: engine.signal("sa-go", {"note": "one"}))
    assert fresh(run).unknown_code_since is not None and len(run.kept_signals) == 1

    # The new release now signals again: the run is not waiting any more (the first signal
    # resumes it at its timer), so this one does not reach it.
    assert engine.signal("sa-go", {"note": "two"}) == 0
    tm.advance(timedelta(seconds=2))
    run = fresh(run)
    assert (run.status, run.current_step, run.waiting_for) == (
        WorkflowStatus.SUSPENDED, "middle", "sa-go")
    assert run.data["seen"] == ["one"]
    assert (run.kept_signals, run.unknown_code_since, run.error) == ([], None, "")

    assert engine.signal("sa-go", {"note": "three"}) == 1
    tm.run_until_idle()
    run = fresh(run)
    assert run.status == WorkflowStatus.COMPLETED and run.data["seen"] == ["one", "three"]
    assert not run.step_executions.filter(status=StepExecution.Status.SIGNAL_DISCARDED).exists()


def test_other_runs_of_the_broadcast_resume_as_usual(tm, path):
    set_aside_run, other = engine.start("sa_twice"), engine.start("sa_twice")
    deploy = forget("sa_twice")
    try:
        assert engine.signal("sa-go", {"note": "one"}, run_id=set_aside_run.pk).kept == 1
    finally:
        deploy()
    assert engine.signal("sa-go", {"note": "two"}) == 1
    assert fresh(other).current_step == "middle" and other.data["seen"] == ["two"]
    assert fresh(set_aside_run).current_step == "first"


def test_a_signal_to_the_set_aside_run_is_kept_for_its_next_wait(tm):
    run = engine.start("sa_twice")
    set_aside("sa_twice", lambda: engine.signal("sa-go", {"note": "one"}))
    outcome = engine.signal("sa-go", {"note": "two"}, run_id=run.pk)
    assert (outcome, outcome.kept) == (0, 1)
    tm.advance(timedelta(seconds=2))
    run = fresh(run)
    # Each signal taken once, in the order they came.
    assert run.status == WorkflowStatus.COMPLETED and run.data["seen"] == ["one", "two"]
    assert (run.kept_signals, run.unknown_code_since) == ([], None)


def test_an_event_does_not_resume_a_set_aside_run_a_second_time(tm):
    run = engine.start("sa_event")
    assert fresh(run).wait_kind == WaitKind.EVENT
    set_aside("sa_event", lambda: engine.wake_for_event("sa-happened", "", "", {"note": "one"}))
    assert engine.wake_for_event("sa-happened", "", "", {"note": "two"}) == 0
    tm.advance(timedelta(seconds=2))
    run = fresh(run)
    assert (run.status, run.wait_kind, run.waiting_for) == (
        WorkflowStatus.SUSPENDED, WaitKind.SIGNAL, "sa-happened")
    assert run.data["seen"] == ["one"]
    assert (run.kept_signals, run.unknown_code_since, run.error) == ([], None, "")


def test_a_kept_payload_the_new_code_rejects_is_recorded_and_the_next_one_answers(tm):
    run = engine.start("sa_twice")
    set_aside("sa_twice", lambda: engine.signal("sa-go", {"note": 5}))  # unchecked there
    assert engine.signal("sa-go", {"note": "two"}, run_id=run.pk).kept == 1
    tm.advance(timedelta(seconds=2))
    run = fresh(run)
    assert (run.status, run.current_step) == (WorkflowStatus.SUSPENDED, "middle")
    assert run.data["seen"] == ["two"] and run.kept_signals == []
    discarded = run.step_executions.get(status=StepExecution.Status.SIGNAL_DISCARDED)
    assert "Kept signal 'sa-go'" in discarded.error and "rejects it" in discarded.error


def test_when_no_kept_payload_fits_the_run_waits_again_and_a_signal_resumes_it(tm):
    run = engine.start("sa_twice")
    set_aside("sa_twice", lambda: engine.signal("sa-go", {"note": 5}))
    tm.advance(timedelta(seconds=2))
    run = fresh(run)
    assert (run.status, run.current_step, run.wake_at) == (WorkflowStatus.SUSPENDED, "first", None)
    assert (run.kept_signals, run.unknown_code_since, run.error) == ([], None, "")
    assert run.step_executions.filter(status=StepExecution.Status.SIGNAL_DISCARDED).count() == 1
    assert engine.signal("sa-go", {"note": "two"}) == 1
    assert fresh(run).current_step == "middle" and run.data["seen"] == ["two"]


def test_a_second_payload_set_aside_by_an_earlier_release_is_recorded_not_kept(tm):
    # A release without this fix set a second broadcast aside for the same wait.
    run = engine.start("sa_twice")
    set_aside("sa_twice", lambda: engine.signal("sa-go", {"note": "one"}))
    run = fresh(run)
    second = {"name": "sa-go", "payload": {"note": "two"}, "kept_at": tm.now.isoformat(),
              "timeout_at": None}
    WorkflowRun.objects.filter(pk=run.pk).update(kept_signals=[*run.kept_signals, second])
    tm.advance(timedelta(seconds=2))
    run = fresh(run)
    assert (run.status, run.current_step) == (WorkflowStatus.SUSPENDED, "middle")
    assert run.data["seen"] == ["one"] and run.kept_signals == []
    discarded = run.step_executions.get(status=StepExecution.Status.SIGNAL_DISCARDED)
    assert "'note': 'two'" in discarded.error and "answered the same wait" in discarded.error
