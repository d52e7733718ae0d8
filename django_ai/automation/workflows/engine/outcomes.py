"""Turning what a step returned into the run's next state (inside the step's transaction)."""

from __future__ import annotations

import logging
import warnings
from typing import Any

from pydantic import BaseModel

from ..clock import now
from ..errors import StepResultError
from ..models import StepExecution, WaitKind, WorkflowRun
from ..results import Complete, EventWait, Fail, Goto, RunSubflow, SignalWait, Sleep
from ..specs import StepSpec, WorkflowSpec
from . import kept
from .contextdata import dump_context, fingerprint
from .finishing import complete_run, fail_run
from .state import bump, enter_step, history, persist, suspend, wait_until
from .storable import check_storable
from .subflows import launch_subflow

logger = logging.getLogger("django_ai.workflows")

_ALLOWED = (
    "goto(), complete(), fail(), sleep(), wait.for_signal(), wait_for_event() or run_subflow()"
)


class ContextFieldIgnoredWarning(UserWarning):
    """complete() was given a keyword that is not a field of the workflow's Context."""


def _where(spec: WorkflowSpec, step: StepSpec) -> str:
    return f"Step {step.name!r} of workflow {spec.name!r}"


def check_target(spec: WorkflowSpec, step: StepSpec, target: str | None, what: str) -> None:
    if target is not None and target not in spec.steps:
        known = ", ".join(spec.step_order)
        raise StepResultError(
            f"{_where(spec, step)}: {what} {target!r} is not a step of this workflow "
            f"(its steps: {known})."
        )


def validate_result(spec: WorkflowSpec, step: StepSpec, result: Any) -> None:
    """Raise ``StepResultError`` for the mistakes that fail a run without retries."""
    if isinstance(result, Goto):
        check_target(spec, step, result.step, "goto target")
    elif isinstance(result, SignalWait | EventWait):
        check_target(spec, step, result.on_timeout, "on_timeout target")
        if spec.step_after(step.name) is None:
            raise StepResultError(
                f"{_where(spec, step)} returned a wait but no step is written after it to "
                "resume at; add the step that should run when the wait ends."
            )
    elif isinstance(result, RunSubflow):
        check_target(spec, step, result.on_complete, "on_complete target")
    elif not isinstance(result, Complete | Fail | Sleep):
        raise StepResultError(
            f"{_where(spec, step)} returned {result!r}; a step must return {_ALLOWED}."
        )


def outcome_name(result: Any) -> str:
    """A step result as a short label (telemetry, timeline): goto, complete, sleep, ..."""
    names = {Goto: "goto", Complete: "complete", Fail: "failed", Sleep: "sleep",
             SignalWait: "wait", EventWait: "wait", RunSubflow: "subflow"}
    return names.get(type(result), "unknown")


def merge_fields(context: BaseModel, fields: dict[str, Any], where: str) -> BaseModel:
    """Context with ``fields`` merged in and validated; unknown keys are dropped with a warning."""
    known = type(context).model_fields
    unknown = sorted(set(fields) - set(known))
    if unknown:
        message = f"{where}: complete() ignored {unknown}: not fields of the Context."
        logger.warning(message)
        warnings.warn(message, ContextFieldIgnoredWarning, stacklevel=2)
    updates = {key: value for key, value in fields.items() if key in known}
    if not updates:
        return context
    return type(context).model_validate({**context.model_dump(), **updates})


def _suspend_on_wait(run: WorkflowRun, spec: WorkflowSpec, step: StepSpec, wait: Any) -> None:
    if isinstance(wait, SignalWait) and run.kept_signals and kept.consume(
        run, spec, step, wait.name
    ):
        return  # the signal came early: no suspension, the run went on to the next step
    bump(run)
    is_event = isinstance(wait, EventWait)
    suspend(
        run, WaitKind.EVENT if is_event else WaitKind.SIGNAL,
        waiting_for=wait.event_name if is_event else wait.name,
        resume_step=spec.step_after(step.name) or "",
        timeout_at=now() + wait.timeout if wait.timeout is not None else None,
        on_timeout=wait.on_timeout,
        display=wait.waiting_display if is_event else {},
    )
    persist(run)


def apply_result(
    run: WorkflowRun, spec: WorkflowSpec, step: StepSpec, result: Any, context: BaseModel
) -> None:
    """Persist the step's outcome: Context, status, history row and the next hand-off."""
    where = _where(spec, step)
    if isinstance(result, Complete):
        context = merge_fields(context, result.fields, where)
        check_storable({"display_title": result.display_title,
                        "display_subtitle": result.display_subtitle}, where)
    elif isinstance(result, EventWait):
        check_storable(result.waiting_display, where)
    run.data = dump_context(context, where)
    run.context_fingerprint = fingerprint(spec.context_cls)
    run.error = ""  # the step finished: an error kept from a failed earlier try is moot
    if isinstance(result, Goto):
        row = history(run, StepExecution.Status.COMPLETED)
        if result.progress is not None:
            run.progress = result.progress
        enter_step(run, spec, result.step)
        persist(run, row)
    elif isinstance(result, Complete):
        complete_run(run, result.display_title, result.display_subtitle)
    elif isinstance(result, Fail):
        fail_run(run, spec, result.reason)
    elif isinstance(result, Sleep):
        bump(run)
        wait_until(run, WaitKind.SLEEP, now() + result.duration)
        run.attempt = 0
        persist(run)
    elif isinstance(result, SignalWait | EventWait):
        _suspend_on_wait(run, spec, step, result)
    elif isinstance(result, RunSubflow):
        launch_subflow(run, spec, result, context)
        run.data = dump_context(context, where)
        persist(run)
