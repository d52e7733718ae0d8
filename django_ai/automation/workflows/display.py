"""``current_step_display``: the shape a frontend polls to decide what to render.

Every key is present in every state (empty when it does not apply), so a frontend never has to
guess: ``error`` says why a run failed, ``wait`` what a paused run waits for and until when,
``retry`` which attempt failed with what. The keys are listed in docs/reference.md. Building it
reads no table beyond the run row itself (the display endpoint is one query).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import registry

if TYPE_CHECKING:
    from .models import WorkflowRun
    from .specs import StepSpec, WorkflowSpec

_WAITING_STATUSES = ("waiting", "suspended")
_TRACEBACK = "\n\nTraceback (most recent call last):"


def step_type(run: WorkflowRun, step: StepSpec | None) -> str:
    if step is not None and step.action is not None:
        return "action"
    if run.status in _WAITING_STATUSES or (step is not None and step.event_wait is not None):
        return "waiting"
    return "automated"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _awaited(run: WorkflowRun, step: StepSpec | None) -> str:
    """The name of what the run waits for: a signal, event, action, step or child workflow."""
    kind = run.wait_kind
    if kind == "action":
        return step.action.name if step is not None and step.action is not None else ""
    if kind in ("sleep", "retry", "start", "code"):
        return run.current_step
    return run.waiting_for  # a signal or event name, or the child workflow's name


def _wait(run: WorkflowRun, step: StepSpec | None) -> dict[str, Any]:
    if run.status not in _WAITING_STATUSES or not run.wait_kind:
        return {"kind": "", "for": "", "since": None, "until": None, "on_timeout": ""}
    # A run is saved when it starts waiting and not again until the wait ends (a planned start
    # is the exception: it waits from its creation).
    since = run.created_at if run.wait_kind == "start" else run.updated_at
    return {"kind": run.wait_kind, "for": _awaited(run, step), "since": _iso(since),
            "until": _iso(run.wake_at), "on_timeout": run.on_timeout_step}


def _message(error: str) -> str:
    """An error without its traceback (``run.error`` keeps the whole text for operators)."""
    return error.split(_TRACEBACK, 1)[0].strip()


def _retry(run: WorkflowRun, spec: WorkflowSpec | None) -> dict[str, Any]:
    policy = (spec.retry_for(run.current_step)
              if spec is not None and run.current_step in spec.steps else None)
    failed_before = run.status not in ("failed", "cancelled", "completed") and run.attempt > 0
    return {"attempt": run.attempt, "max_attempts": policy.max_attempts if policy else 0,
            "last_error": _message(run.error) if failed_before else ""}


def _error(run: WorkflowRun) -> dict[str, str]:
    if run.status in ("failed", "cancelled"):
        return {"message": _message(run.error), "step": run.current_step}
    return {"message": "", "step": ""}


def current_step_display(run: WorkflowRun) -> dict[str, Any]:
    spec = registry.find(run.name)
    step = spec.step(run.current_step) if spec is not None else None
    is_suspended_wait = run.status == "suspended" and run.wait_kind in ("signal", "event")
    display = step.options.display if step is not None else None
    return {
        "status": run.status,
        "current_step": run.current_step,
        "step_title": (step.options.title if step is not None else None) or run.current_step,
        "step_type": step_type(run, step),
        "progress": run.progress,
        "completion_display": dict(run.completion_display or {})
        if run.status == "completed" else {},
        "waiting_display": dict(run.waiting_display or {}) if is_suspended_wait else {},
        "step_display": display.to_dict() if display is not None else {},
        "error": _error(run),
        "wait": _wait(run, step),
        "retry": _retry(run, spec),
    }
