"""In-memory state changes of a run, and saving them with their hand-offs.

Transition helpers only mutate the ``WorkflowRun`` object; ``save_run`` writes it in one UPDATE
and ``dispatch`` registers the after-commit hand-off its new state calls for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..backends import hand_off_step, hand_off_steps, hand_off_wake
from ..clock import now
from ..limits.registry import HOOKS as LIMIT_HOOKS
from ..models import StepExecution, WaitKind, WorkflowRun, WorkflowStatus
from ..specs import WorkflowSpec
from . import fastsql, steplog

STATE_FIELDS = (
    "status", "current_step", "data", "progress", "error", "attempt", "seq", "wait_kind",
    "waiting_for", "wake_at", "on_timeout_step", "resume_step", "active_child",
    "completion_display", "waiting_display", "finished_at", "updated_at", "kept_signals",
    "unknown_code_since", "redeliveries", "context_fingerprint", "step_log",
)


def clear_wait(run: WorkflowRun) -> None:
    run.wait_kind = WaitKind.NONE
    run.waiting_for = ""
    run.wake_at = None
    run.on_timeout_step = ""
    run.resume_step = ""
    run.waiting_display = {}


def bump(run: WorkflowRun) -> None:
    """Start a new transition: deliveries made for the previous one become stale."""
    run.seq += 1
    run.redeliveries = 0  # progress: tries of the old transition no longer count


def suspend(
    run: WorkflowRun,
    kind: str,
    *,
    waiting_for: str = "",
    resume_step: str = "",
    timeout_at: datetime | None = None,
    on_timeout: str | None = None,
    display: dict[str, Any] | None = None,
) -> None:
    run.status = WorkflowStatus.SUSPENDED
    run.wait_kind = kind
    run.waiting_for = waiting_for
    run.resume_step = resume_step
    run.wake_at = timeout_at
    run.on_timeout_step = on_timeout or ""
    run.waiting_display = display or {}
    detail = run.active_child_id if kind == WaitKind.SUBFLOW else waiting_for
    steplog.wait_began(run, kind, timeout_at, detail)


def wait_until(run: WorkflowRun, kind: str, at: datetime) -> None:
    clear_wait(run)
    run.status = WorkflowStatus.WAITING
    run.wait_kind = kind
    run.wake_at = at
    steplog.wait_began(run, kind, at)


def enter_step(run: WorkflowRun, spec: WorkflowSpec, step_name: str) -> None:
    """Move the run to ``step_name``: suspend there if the step waits, else make it runnable."""
    if spec.limits:
        from ..limits.admission import note_entry

        note_entry(run, step_name)
    bump(run)
    clear_wait(run)
    if step_name != run.current_step:
        run.step_log = []  # a visit that ended without a history row (a timed-out wait)
    run.current_step = step_name
    run.attempt = 0
    run.error = ""
    run.unknown_code_since = None
    step = spec.steps[step_name]
    if step.event_wait is not None:
        wait = step.event_wait
        suspend(
            run, WaitKind.EVENT, waiting_for=wait.event_name, resume_step=step_name,
            timeout_at=now() + wait.timeout if wait.timeout is not None else None,
            on_timeout=wait.on_timeout, display=wait.waiting_display,
        )
    elif step.action is not None:
        suspend(run, WaitKind.ACTION, resume_step=step_name)
    else:
        run.status = WorkflowStatus.RUNNING


def make_runnable(run: WorkflowRun) -> None:
    """Run the current step's body next (after a sleep, a retry wait or a body-pending wait)."""
    bump(run)
    clear_wait(run)
    run.status = WorkflowStatus.RUNNING


def history(run: WorkflowRun, status: str, error: str = "") -> StepExecution:
    """An unsaved history row for the run's current step."""
    return StepExecution(
        run=run, step_name=run.current_step, status=status, error=error,
        attempt=run.attempt + 1, created_at=now(), segments=steplog.take(run),
    )


def history_values(run: WorkflowRun, status: str) -> dict[str, Any]:
    """``history`` as plain column values (by attname), for batches written as columns."""
    return {"run_id": run.pk, "step_name": run.current_step, "status": status, "error": "",
            "attempt": run.attempt + 1, "created_at": now(), "segments": steplog.take(run)}


def save_run(run: WorkflowRun, row: StepExecution | None = None) -> None:
    """One UPDATE of the run's state (and the INSERT of ``row``: one statement on PostgreSQL)."""
    run.updated_at = now()
    if fastsql.enabled():
        fastsql.save(run, STATE_FIELDS, row)
        return
    run.save(update_fields=STATE_FIELDS)
    if row is not None:
        row.save()


def dispatch(run: WorkflowRun) -> None:
    """Register the after-commit hand-off that the run's saved state calls for."""
    limits = LIMIT_HOOKS.get(run.name)  # a dict lookup: workflows without limits stop here
    if limits is not None:
        limits(run)  # may park the run (saved) instead of handing it off
    if run.status == WorkflowStatus.RUNNING:
        hand_off_step(run.pk, run.current_step, run.seq)
    elif run.wake_at is not None:
        hand_off_wake(run.pk, run.wake_at)


def dispatch_many(runs: list[WorkflowRun]) -> None:
    """``dispatch`` for a batch: the runnable ones leave in one hand-off (batched publishing)."""
    steps = []
    for run in runs:
        if run.status == WorkflowStatus.RUNNING:
            steps.append((run.pk, run.current_step, run.seq))
        else:
            dispatch(run)
    hand_off_steps(steps)


def persist(run: WorkflowRun, *rows: StepExecution) -> None:
    """Save the run and its new history rows, then schedule what comes next."""
    if len(rows) <= 1:
        save_run(run, *rows)
    else:
        save_run(run)
        StepExecution.objects.bulk_create(rows)
    dispatch(run)
