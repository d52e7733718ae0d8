"""The process-wide registry of declared workflows."""

from __future__ import annotations

from typing import Any

from .errors import UnknownWorkflowError, WorkflowDefinitionError
from .limits.registry import HOOKS
from .specs import WorkflowSpec

_workflows: dict[str, WorkflowSpec] = {}


def register(spec: WorkflowSpec) -> None:
    existing = _workflows.get(spec.name)
    if existing is not None and existing.identity != spec.identity:
        raise WorkflowDefinitionError(
            f"Workflow name {spec.name!r} is already taken by {existing.identity}; "
            f"give {spec.identity} another name."
        )
    _workflows[spec.name] = spec
    if spec.limits:
        from .limits.admission import admit_hook

        HOOKS[spec.name] = admit_hook
    else:
        HOOKS.pop(spec.name, None)
    spec.cls._django_ai_spec = spec  # type: ignore[attr-defined]


def get(name_or_class: Any) -> WorkflowSpec:
    """The spec for a workflow name, or for a decorated workflow class."""
    if isinstance(name_or_class, type):
        spec = getattr(name_or_class, "_django_ai_spec", None)
        if spec is None:
            raise UnknownWorkflowError(
                f"{name_or_class.__qualname__} is not a workflow; decorate it with @workflow(...)."
            )
        return spec
    spec = _workflows.get(name_or_class)
    if spec is None:
        known = ", ".join(sorted(_workflows)) or "none registered"
        raise UnknownWorkflowError(
            f"No workflow named {name_or_class!r}. Known workflows: {known}."
        )
    return spec


def find(name: str) -> WorkflowSpec | None:
    return _workflows.get(name)


def all_specs() -> list[WorkflowSpec]:
    return list(_workflows.values())


def unregister(name: str) -> None:
    """Forget a workflow (for tests that declare throwaway workflows)."""
    _workflows.pop(name, None)
    HOOKS.pop(name, None)
