"""Durable timers: sleeps, retry backoffs, wait timeouts and planned starts, stored as
``wake_at`` on the run and fired by ``tick()``, which the periodic task and tests both call."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F

from ....conf import ai_settings
from .. import registry, telemetry
from ..clock import now
from ..models import StepExecution, WaitKind, WorkflowRun, WorkflowStatus
from . import deferred, deploys, kept, tries
from .finishing import fail_run
from .state import bump, dispatch, dispatch_many, enter_step, history, make_runnable, persist

logger = logging.getLogger("django_ai.workflows")


@dataclass(frozen=True)
class TimerSource:
    """Another kind of durable timer (the events app's scheduled occurrences)."""

    fire_due: Callable[[datetime], int]
    next_due: Callable[[], datetime | None]


_sources: list[TimerSource] = []
#: Called with a run planned by an event when its start time comes; False cancels the start.
start_guards: list[Callable[[WorkflowRun], bool]] = []


def register_timer_source(source: TimerSource) -> None:
    if source not in _sources:
        _sources.append(source)


def _timed_out(run: WorkflowRun) -> None:
    if deferred.resume_deferred(run):
        return  # not a timeout: a signal or event kept during a rolling deploy
    spec = registry.find(run.name)
    what = f"{run.wait_kind} {run.waiting_for!r}"
    rows = []
    if run.resume_step and run.resume_step != run.current_step:
        rows.append(history(run, StepExecution.Status.COMPLETED))
    if spec is not None and run.on_timeout_step in spec.steps:
        enter_step(run, spec, run.on_timeout_step)
        persist(run, *rows)
        return
    for row in rows:
        row.save()
    fail_run(run, spec, f"Step {run.current_step!r} timed out waiting for {what}.")


def _planned_start(run: WorkflowRun) -> None:
    if not all(guard(run) for guard in start_guards):
        kept.discard(run, WorkflowStatus.CANCELLED)
        bump(run)
        run.status = WorkflowStatus.CANCELLED
        run.wake_at = None
        run.error = "Not started: the event's condition no longer holds."
        run.finished_at = now()
        persist(run)
        return
    spec = registry.find(run.name)
    if spec is None:
        deploys.hand_back(run, f"Workflow {run.name!r} is not registered in this process.",
                          kind=WaitKind.START)
        return
    enter_step(run, spec, spec.start_step)
    persist(run)


# Timers after which the current step's body runs again (CODE: a handed-back delivery; RATE:
# a rate limit's turn, booked when the run was parked).
_SLEEPS = (WaitKind.SLEEP, WaitKind.RETRY, WaitKind.CODE, WaitKind.RATE)


def fire(run: WorkflowRun) -> None:
    """Act on one run whose ``wake_at`` has come (the run is locked)."""
    if telemetry.ENABLED:
        telemetry.timer_fired(run, now(), run.wake_at)
    if run.wait_kind in _SLEEPS:
        make_runnable(run)
        persist(run)
    elif run.wait_kind == WaitKind.START:
        _planned_start(run)
    else:
        _timed_out(run)


def _resume_sleepers(runs: list[WorkflowRun]) -> None:
    """Make ended sleeps and retry waits runnable with one UPDATE for the whole batch."""
    if telemetry.ENABLED:
        fired_at = now()
        for run in runs:
            telemetry.timer_fired(run, fired_at, run.wake_at)
    WorkflowRun.objects.filter(pk__in=[run.pk for run in runs]).update(
        status=WorkflowStatus.RUNNING, wait_kind=WaitKind.NONE, waiting_for="", wake_at=None,
        on_timeout_step="", resume_step="", waiting_display={}, seq=F("seq") + 1,
        updated_at=now(),
    )
    for run in runs:
        make_runnable(run)  # the same state in memory, for the hand-off's seq
    dispatch_many(runs)


def fire_due_runs(at: datetime) -> int:
    size = int(ai_settings()["TIMER_BATCH_SIZE"])
    fired = 0
    while True:
        with transaction.atomic():
            batch = list(WorkflowRun.objects.due(at).select_for_update(skip_locked=True)[:size])
            sleepers = [run for run in batch if run.wait_kind in _SLEEPS]
            others = [run for run in batch if run.wait_kind not in _SLEEPS]
            if sleepers:
                _resume_sleepers(sleepers)
            for run in others:
                fire(run)
        fired += len(batch)
        if len(batch) < size:
            return fired


def wake(run_id: int) -> bool:
    """Fire one run's timer if it is due (the countdown task's entry point)."""
    with transaction.atomic():
        run = WorkflowRun.objects.due(now()).select_for_update(skip_locked=True).filter(
            pk=run_id).first()
        if run is None:
            return False
        fire(run)
    return True


def recover_lost(at: datetime) -> int:
    """Deliver again RUNNING runs untouched for a while whose row no worker holds."""
    cutoff = at - timedelta(seconds=int(ai_settings()["RECOVERY_AFTER_SECONDS"]))
    with transaction.atomic():
        stuck = list(
            WorkflowRun.objects.filter(status=WorkflowStatus.RUNNING, updated_at__lt=cutoff)
            .select_for_update(skip_locked=True)[: int(ai_settings()["TIMER_BATCH_SIZE"])]
        )
        for run in stuck:
            logger.warning("Run %s looked lost at step %r; delivering it again",
                           run.pk, run.current_step)
            lost_before = run.redeliveries
            bump(run)
            run.redeliveries = lost_before
            tries.mark_lost(run)  # the tries that follow count towards giving up
            persist(run)
    return len(stuck)


def next_due() -> datetime | None:
    """The earliest pending timer of any kind (used by ``time_machine``)."""
    candidates = [source.next_due() for source in _sources]
    run = WorkflowRun.objects.timed().only("wake_at").first()
    candidates.append(run.wake_at if run is not None else None)
    present = [value for value in candidates if value is not None]
    return min(present) if present else None


def tick(at: datetime | None = None) -> int:
    """Fire every due timer and recover lost deliveries; returns how many things it did."""
    at = at or now()
    done = sum(source.fire_due(at) for source in _sources)
    done += fire_due_runs(at)
    return done + recover_lost(at)


__all__ = ["TimerSource", "dispatch", "fire_due_runs", "next_due", "register_timer_source",
           "start_guards", "tick", "wake"]
