"""Executing one delivered step: claim the run, run the body, persist the outcome.

A step and its outcome share one transaction with the run row locked. An attempt that raises
is rolled back whole (the body's own writes included) and recorded in a second transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import DatabaseError, transaction

from .. import registry, telemetry
from ..clock import now
from ..errors import StepResultError
from ..models import WaitKind, WorkflowRun, WorkflowStatus
from ..runtime import activate
from ..specs import StepSpec, WorkflowSpec
from . import steplog
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
    except ValueError as exc:  # pydantic's ValidationError; retrying cannot fix saved data
        raise AttemptFailed(
            f"Step {step.name!r} of workflow {spec.name!r}: the run's saved Context no longer "
            f"fits {spec.cls.__name__}.Context (was it changed while runs were in flight?). "
            f"{exc}", retryable=False)
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
    except StepResultError as exc:
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
    """Worker entry point. Returns True when this delivery executed the step."""
    try:
        with transaction.atomic():
            run = claim(run_id, step_name, seq)
            if run is None:
                return False
            resolved = _resolve(run)
            if isinstance(resolved, str):
                fail_run(run, None, resolved)
                return True
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
        wait_until(run, WaitKind.RETRY, now() + policy.delay_before_retry(attempts))
        run.attempt = attempts
        run.error = failure.error
        persist(run)
