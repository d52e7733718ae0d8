"""``current_step_display``: the shape a frontend polls to decide what to render."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import registry

if TYPE_CHECKING:
    from .models import WorkflowRun
    from .specs import StepSpec

_WAITING_STATUSES = ("waiting", "suspended")


def _step_spec(run: WorkflowRun) -> StepSpec | None:
    spec = registry.find(run.name)
    return spec.step(run.current_step) if spec is not None else None


def step_type(run: WorkflowRun, step: StepSpec | None) -> str:
    if step is not None and step.action is not None:
        return "action"
    if run.status in _WAITING_STATUSES or (step is not None and step.event_wait is not None):
        return "waiting"
    return "automated"


def current_step_display(run: WorkflowRun) -> dict[str, Any]:
    step = _step_spec(run)
    is_suspended_wait = run.status == "suspended" and run.wait_kind in ("signal", "event")
    display = step.options.display if step is not None else None
    return {
        "status": run.status,
        "current_step": run.current_step,
        "step_type": step_type(run, step),
        "progress": run.progress,
        "completion_display": dict(run.completion_display or {})
        if run.status == "completed" else {},
        "waiting_display": dict(run.waiting_display or {}) if is_suspended_wait else {},
        "step_display": display.to_dict() if display is not None else {},
        # Issue 13: why a run waits for capacity (a concurrency or rate limit) and since when.
        "limit_wait": dict((run.waiting_display or {}).get("limit_wait") or {})
        if run.wait_kind in ("limit", "rate") and run.status in _WAITING_STATUSES else {},
    }
