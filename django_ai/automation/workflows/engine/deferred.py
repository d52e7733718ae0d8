"""Rolling deploys, the resuming side: a signal or event reaching a run in a process that does
not know the run's workflow or the step it would resume at.

Instead of failing the run, the process keeps the payload with the run and sets the run's timer
a moment ahead; whichever process fires that timer and knows the code resumes the run with the
kept payload. As for deliveries (``deploys.py``), the run fails only after the grace period.

Such a run is **set aside**: its wait has been answered, only not yet applied. It no longer
waits for anything a live signal or event could resume (``WAITING``): the payload kept for the
wait resumes it, once, at its timer. A later signal to that one run is kept for the run's next
wait like any signal to an active run that is not waiting for it (SPEC 10), and a broadcast or
an event does not reach it, as it would not reach a run already resumed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q
from pydantic import ValidationError

from .. import registry
from ..clock import now
from ..errors import ContextError
from ..models import StepExecution, WaitKind, WorkflowRun
from .contextdata import dump_context, fingerprint
from .deploys import grace, next_delay, reason
from .finishing import fail_run
from .kept import discard_row
from .payloads import merged_context
from .state import dispatch, enter_step, history, make_runnable, persist, save_run

#: Suspended runs a live signal or event may resume: not set aside (see the module doc).
WAITING = Q(unknown_code_since__isnull=True)


def set_aside(run: WorkflowRun) -> bool:
    """Whether the suspended ``run`` waits for its timer to apply a payload kept for it
    (``unknown_code_since`` is set only here and by hand-backs, which leave runs WAITING)."""
    return run.unknown_code_since is not None


def unknown_code(run: WorkflowRun) -> str | None:
    """Why this process cannot resume ``run``, or None when it can."""
    spec = registry.find(run.name)
    if spec is None:
        return f"Workflow {run.name!r} is not registered in this process."
    if run.resume_step not in spec.steps:
        return (f"Cannot resume run {run.pk} at step {run.resume_step!r}: workflow "
                f"{run.name!r} has no such step in this process.")
    return None


def _retry_later(run: WorkflowRun, problem: str) -> bool:
    """Set the run's timer for another try; False (run failed) once the grace period is over."""
    at = now()
    since = run.unknown_code_since or at
    deadline = since + grace()
    if at >= deadline:
        fail_run(run, registry.find(run.name),
                 f"{problem} No process knew it for {grace()} (since {since:%Y-%m-%d %H:%M:%S} "
                 "UTC).")
        return False
    run.unknown_code_since = since
    run.wake_at = min(at + next_delay(at - since), deadline)
    run.error = reason(problem, since, deadline)
    save_run(run)
    dispatch(run)
    return True


def defer(run: WorkflowRun, payload: dict[str, Any], problem: str) -> bool:
    """Keep what reached the locked, waiting ``run`` and try again later (see module doc)."""
    timeout = run.wake_at if run.unknown_code_since is None else None
    run.kept_signals = [*run.kept_signals, {
        "name": run.waiting_for, "payload": payload, "kept_at": now().isoformat(),
        "timeout_at": timeout.isoformat() if timeout is not None else None,
    }]
    return _retry_later(run, problem)


def _restore_timeout(run: WorkflowRun, item: dict[str, Any]) -> None:
    kept_timeout = item.get("timeout_at")
    run.wake_at = datetime.fromisoformat(kept_timeout) if kept_timeout else None
    run.unknown_code_since = None
    run.error = ""


def _merged(run: WorkflowRun, item: dict[str, Any]) -> str:
    """Merge a kept payload as a live one (keys the Context holds, validated, storable: SPEC
    10); why it cannot be, or "" when merged."""
    spec = registry.get(run.name)
    try:
        context = merged_context(spec, run.data, item.get("payload") or {})
        run.data = dump_context(context, f"Payload kept for run {run.pk} ({run.name})")
    except (ValidationError, ContextError) as exc:
        return f"the Context of workflow {run.name!r} in this process rejects it: {exc}"
    run.context_fingerprint = fingerprint(spec.context_cls)
    return ""


def _resume(run: WorkflowRun, rows: list[StepExecution]) -> None:
    spec = registry.get(run.name)
    if run.resume_step == run.current_step:  # a waiting step: its body runs now
        make_runnable(run)
    else:
        rows.append(history(run, StepExecution.Status.COMPLETED))
        enter_step(run, spec, run.resume_step)
    run.error = ""
    run.unknown_code_since = None
    persist(run, *rows)


def _answered_already(run: WorkflowRun) -> list[StepExecution]:
    """Payloads set aside for the same wait after the one that answers it (a release before
    set-aside runs were skipped kept them): dropped and recorded, never taken by a later wait."""
    late = [i for i in run.kept_signals if i.get("name") == run.waiting_for and "timeout_at" in i]
    run.kept_signals = [i for i in run.kept_signals if not any(i is j for j in late)]
    why = "it reached the run after an earlier payload had answered the same wait."
    return [discard_row(run, item, why) for item in late]


def resume_deferred(run: WorkflowRun) -> bool:
    """At the run's timer: resume with the payload kept by :func:`defer` if this process knows
    the code. True when the timer was for that (handled here), False for a real timeout."""
    if run.unknown_code_since is None:
        return False
    # What ``defer`` kept (it writes "timeout_at") first, then, for a signal wait, the signals
    # kept for this run while it was set aside, in the order they came; the first that fits
    # answers the wait, the others stay kept. A signal never answers an event wait.
    items = [i for i in run.kept_signals if i.get("name") == run.waiting_for
             and ("timeout_at" in i or run.wait_kind == WaitKind.SIGNAL)]
    if not items:
        return False
    problem = unknown_code(run)
    if problem is not None:
        _retry_later(run, problem)
        return True
    rows: list[StepExecution] = []
    for item in items:
        run.kept_signals = [i for i in run.kept_signals if i is not item]
        why = _merged(run, item)
        if not why:
            rows += _answered_already(run)
            _resume(run, rows)
            return True
        rows.append(discard_row(run, item, why))
    # None fits the new code's Context: back to waiting, as for an event whose data does not.
    _restore_timeout(run, items[0])
    persist(run, *rows)
    return True
