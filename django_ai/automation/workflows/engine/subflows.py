"""``run_subflow``: launching a child run and describing its outcome to the parent."""

from __future__ import annotations

from typing import Any

from .. import registry
from ..errors import ContextError, StepResultError
from ..models import WaitKind, WorkflowRun, WorkflowStatus
from ..results import RunSubflow, SubflowResult
from ..specs import WorkflowSpec
from .starting import new_run
from .state import bump, suspend


def launch_subflow(
    parent: WorkflowRun, spec: WorkflowSpec, result: RunSubflow, context: Any
) -> None:
    """Create the child, point the parent at it and suspend the parent until it ends."""
    if result.on_complete not in spec.steps:
        raise StepResultError(
            f"Step {parent.current_step!r} of workflow {spec.name!r}: run_subflow(on_complete="
            f"{result.on_complete!r}) is not a step of this workflow."
        )
    child_spec = registry.get(result.workflow)
    try:
        child = new_run(child_spec, child_spec.build_context(**result.kwargs), parent=parent)
    except ContextError as exc:
        raise ContextError(f"Step {parent.current_step!r} of workflow {spec.name!r}: "
                           f"run_subflow could not start its child: {exc}") from exc
    if result.on_create is not None:
        result.on_create(child, parent)
    if "active_subworkflow_run_id" in type(context).model_fields:
        context.active_subworkflow_run_id = child.pk
    parent.active_child = child
    bump(parent)
    suspend(parent, WaitKind.SUBFLOW, waiting_for=child_spec.name, resume_step=result.on_complete)


def subflow_result(child_id: int) -> SubflowResult | None:
    child = WorkflowRun.objects.filter(pk=child_id).first()
    if child is None:
        return None
    spec = registry.find(child.name)
    context = spec.context_cls.model_validate(child.data) if spec is not None else child.data
    error = child.error or None if child.status == WorkflowStatus.FAILED else None
    return SubflowResult(status=WorkflowStatus(child.status), context=context,
                         run_id=child.pk, error=error)
