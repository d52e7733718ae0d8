"""Executing one delivered step: claim the run, run the body, persist the outcome.

A step and its outcome share one transaction with the run row locked. An attempt that raises
is rolled back whole (the body's own writes included) and recorded in a second transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import DatabaseError, transaction
from pydantic import ValidationError

from .. import registry, telemetry
from ..clock import now
from ..errors import ContextError, StepResultError
from ..models import WaitKind, WorkflowRun, WorkflowStatus
from ..runtime import activate
from ..specs import StepSpec, WorkflowSpec
from . import deploys, fastsql, steplog, tries
from .contextdata import load_failure
from .finishing import error_text, fail_run
from .outcomes import apply_result, outcome_name, validate_result
from .state import bump, persist, wait_until
from .subflows import subflow_result


@dataclass
class AttemptFailed(Exception):
    """Carries a failed attempt out of the rolled-back transaction."""

    error: str
    retryable: bool
    started: datetime | None = None


def claim(run_id: int, step: str, seq: int) -> WorkflowRun | None:
    """Lock the run if this delivery is current; None when stale or held by another worker."""
    # Lock by primary key alone and check the rest here: given the status in SQL, PostgreSQL
    # may walk the status index past every RUNNING run (bench/README.md, "claim").
    if fastsql.enabled():
        run = fastsql.lock_run(run_id)
    else:
        run = WorkflowRun.objects.select_for_update(skip_locked=True).filter(pk=run_id).first()
    if run is None or (run.status, run.current_step, run.seq) != (
        WorkflowStatus.RUNNING, step, seq
    ):
        return None
    return run


def call_body(
    run: WorkflowRun, spec: WorkflowSpec, step: StepSpec, context: Any, kwargs: dict[str, Any]
) -> Any:
    instance = spec.cls()
    instance.context = context
    if step.accepts("subflow_result") and run.active_child_id and "subflow_result" not in kwargs:
        kwargs["subflow_result"] = subflow_result(run.active_child_id)
    with activate(run, context, step.name):
        return getattr(instance, step.name)(**kwargs)


def run_step_body(
    run: WorkflowRun, spec: WorkflowSpec, step: StepSpec, kwargs: dict[str, Any] | None = None
) -> None:
    """Run the body and persist its result; raise ``AttemptFailed`` to roll everything back.

    Exceptions from the body are retried under the step's policy. Errors while acting on the
    result (a bad target, a Context that no longer validates, a child that cannot be created)
    are mistakes in the workflow's code: retrying cannot help, so they fail the run at once.
    Database errors while persisting propagate: the run stays RUNNING and recovery retries it.
    """
    try:
        context = spec.context_cls.model_validate(run.data)
    except ValidationError as exc:  # retrying cannot fix saved data
        where = f"Step {step.name!r} of workflow {spec.name!r}"
        raise AttemptFailed(load_failure(run, spec, exc, where), retryable=False)
    started, attempt = now(), run.attempt + 1
    if telemetry.ENABLED and kwargs is None:  # a delivery, not an action submission
        telemetry.delivery_lag(run, started)
    try:
        result = call_body(run, spec, step, context, dict(kwargs or {}))
    except Exception as exc:
        raise AttemptFailed(error_text(exc), retryable=True, started=started)
    try:
        validate_result(spec, step, result)
        steplog.attempt(run, started)
        apply_result(run, spec, step, result, context)
    except (StepResultError, ContextError) as exc:
        raise AttemptFailed(str(exc), retryable=False, started=started)
    except DatabaseError:
        raise
    except Exception as exc:
        where = f"Step {step.name!r} of workflow {spec.name!r}: acting on its result failed. "
        raise AttemptFailed(where + error_text(exc), retryable=False, started=started)
    if telemetry.ENABLED:
        telemetry.step_attempt(run, step.name, attempt, started, now(), outcome_name(result))


def _resolve(run: WorkflowRun) -> tuple[WorkflowSpec, StepSpec] | str:
    spec = registry.find(run.name)
    if spec is None:
        return f"Workflow {run.name!r} is not registered in this process."
    step = spec.step(run.current_step)
    if step is None:
        return f"Workflow {run.name!r} has no step {run.current_step!r} (changed while in flight?)."
    return spec, step


def execute_step(run_id: int, step_name: str, seq: int) -> bool:
    """Worker entry point. Returns True when this delivery executed (or settled) the step."""
    try:
        outcome = _attempt(run_id, step_name, seq, count_try=True)
        if outcome is _COUNTED:
            outcome = _attempt(run_id, step_name, seq, count_try=False)
        return bool(outcome)
    except Exception as exc:
        # Outside the step's own code (its outcome could not be saved, say): the run stays
        # RUNNING for recovery, with the error kept and the try counted (engine/tries.py).
        tries.note_failed_try(run_id, seq, exc)
        raise


_COUNTED = object()  # a redelivered try was recorded in a commit of its own; now run it


def _attempt(run_id: int, step_name: str, seq: int, count_try: bool) -> object:
    try:
        with transaction.atomic():
            run = claim(run_id, step_name, seq)
            if run is None:
                return False
            resolved = _resolve(run)
            if isinstance(resolved, str):
                # Before counting the try: handing back is not a try, and resets the count
                # (state.bump), so the grace period alone bounds unknown code.
                deploys.hand_back(run, resolved)
                return True
            if count_try and run.redeliveries:
                return _COUNTED if tries.count_try(run) else True
            deploys.clear(run)
            run_step_body(run, *resolved)
    except AttemptFailed as failure:
        record_failed_attempt(run_id, step_name, seq, failure)
    return True


def record_failed_attempt(run_id: int, step_name: str, seq: int, failure: AttemptFailed) -> None:
    """Schedule a retry with backoff, or fail the run when attempts are used up."""
    with transaction.atomic():
        run = (
            WorkflowRun.objects.select_for_update()
            .filter(pk=run_id, status=WorkflowStatus.RUNNING, current_step=step_name, seq=seq)
            .first()
        )
        if run is None:
            return
        spec = registry.find(run.name)
        run.unknown_code_since = None
        attempts = run.attempt + 1
        policy = spec.retry_for(step_name) if spec is not None else None
        final = not failure.retryable or policy is None or attempts >= policy.max_attempts
        if telemetry.ENABLED:
            telemetry.step_attempt(run, step_name, attempts, failure.started or now(), now(),
                                   "failed" if final else "retry", failure.error)
        steplog.attempt(run, failure.started or now(), failure.error)
        if final:
            fail_run(run, spec, failure.error)
            return
        bump(run)
        retry_at = now() + policy.delay_before_retry(attempts)
        if spec.limits:  # issue 13: a retry takes its turn under the step's rate limit
            from ..limits.admission import pace_retry

            retry_at = pace_retry(run, spec, retry_at)
        wait_until(run, WaitKind.RETRY, retry_at)
        run.attempt = attempts
        run.error = failure.error
        persist(run)
