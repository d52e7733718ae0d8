"""Rate limits: entries are booked on a schedule (GCRA) and wait for their time visibly."""

from __future__ import annotations

from datetime import timedelta

import pytest

from django_ai.automation.testing import time_machine
from django_ai.automation.workflows.core import Limit, engine
from django_ai.automation.workflows.errors import WorkflowDefinitionError
from django_ai.automation.workflows.limits.spec import parse_rate
from django_ai.automation.workflows.management.runinfo import why_waiting
from django_ai.automation.workflows.models import StepExecution, WaitKind, WorkflowStatus

from . import workflows_limits  # registers the workflows


@pytest.mark.django_db
def test_entries_are_spaced_by_the_rate_per_key():
    with time_machine() as tm:
        t0 = tm.now
        runs = [engine.start("lim_rate") for _ in range(4)]
        other = engine.start("lim_rate", api_key="other")
        for run in runs:
            run.refresh_from_db()
        assert runs[0].status == WorkflowStatus.COMPLETED
        assert [run.wait_kind for run in runs[1:]] == [WaitKind.RATE] * 3
        assert [run.wake_at - t0 for run in runs[1:]] == [timedelta(seconds=s)
                                                          for s in (30, 60, 90)]
        info = runs[1].waiting_display["limit_wait"]
        assert info["kind"] == "rate" and info["rate"] == "2/m" and info["key"] == "k"
        shown = runs[1].current_step_display["wait"]
        assert shown["kind"] == "rate" and shown["until"] == runs[1].wake_at.isoformat()
        assert "Spaced out by rate limit 'lim_rate.call'" in why_waiting(runs[1])
        other.refresh_from_db()
        assert other.status == WorkflowStatus.COMPLETED
        tm.advance(timedelta(seconds=95))
    done = StepExecution.objects.filter(run__name="lim_rate", run__data__api_key="k")
    assert done.count() == 4
    times = sorted(row.created_at - t0 for row in done)
    assert times == [timedelta(seconds=s) for s in (0, 30, 60, 90)]


@pytest.mark.django_db
def test_burst_lets_that_many_start_back_to_back():
    with time_machine() as tm:
        t0 = tm.now
        runs = [engine.start("lim_burst") for _ in range(5)]
        for run in runs:
            run.refresh_from_db()
        assert [run.status for run in runs[:3]] == [WorkflowStatus.COMPLETED] * 3
        assert [run.wake_at - t0 for run in runs[3:]] == [timedelta(minutes=1),
                                                          timedelta(minutes=2)]


@pytest.mark.django_db
def test_retries_take_their_turn_under_the_rate():
    workflows_limits.FLAKY_CALLS.clear()
    with time_machine() as tm:
        t0 = tm.now
        run = engine.start("lim_flaky")
        run.refresh_from_db()
        assert run.wait_kind == WaitKind.RETRY
        assert run.wake_at - t0 == timedelta(minutes=1)  # not the 1 s backoff: the rate's turn
        tm.advance(timedelta(minutes=3))
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED and len(workflows_limits.FLAKY_CALLS) == 3


@pytest.mark.django_db
def test_a_workflow_rate_spaces_its_starts():
    with time_machine() as tm:
        t0 = tm.now
        first, second = (engine.start("lim_start_rate") for _ in range(2))
        other = engine.start("lim_start_rate", tenant_id="u")
        for run in (first, second, other):
            run.refresh_from_db()
        assert (first.status, other.status) == (WorkflowStatus.COMPLETED,) * 2
        assert (second.status, second.wait_kind) == (WorkflowStatus.WAITING, WaitKind.RATE)
        assert second.current_step == "go" and second.wake_at - t0 == timedelta(minutes=1)
        tm.advance(timedelta(minutes=1))
        second.refresh_from_db()
        assert second.status == WorkflowStatus.COMPLETED


def test_rate_texts():
    assert parse_rate("60/m") == (60, 60.0)
    assert parse_rate("120/min") == (120, 60.0)
    assert parse_rate("5/15m") == (5, 900.0)
    assert parse_rate("1000 / hour") == (1000, 3600.0)
    for bad in ("fast", "0/m", "10/fortnight", "-1/s"):
        with pytest.raises(ValueError, match="is not a rate"):
            parse_rate(bad)


@pytest.mark.parametrize("kwargs, message", [
    ({}, "needs concurrency"),
    ({"concurrency": 0}, "positive integer"),
    ({"rate": "many"}, "is not a rate"),
    ({"concurrency": 1, "burst": 0}, "at least 1"),
])
def test_bad_limits_are_refused(kwargs, message):
    with pytest.raises(WorkflowDefinitionError, match=message):
        Limit(**kwargs)


def test_key_must_be_a_context_field():
    from pydantic import BaseModel

    from django_ai.automation.workflows.core import step, workflow

    with pytest.raises(WorkflowDefinitionError, match=r"Limit\(key='tenant'\) is not a field"):
        @workflow("lim_bad_key")
        class Bad:
            class Context(BaseModel):
                tenant_id: str

            @step(start=True, limit=Limit(concurrency=1, key="tenant"))
            def go(self):
                pass
