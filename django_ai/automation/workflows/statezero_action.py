"""``@statezero_action``: make a step an action that a user submits through an endpoint.

The decorator stands above ``@step(...)``. It validates its arguments, checks the step's display
metadata against the serializer's fields, and marks the function; it never touches the user's
serializer class. With StateZero installed the action is also registered with StateZero's action
registry, so it is served under ``/statezero/actions/<name>/``; the package's own DRF endpoint
(``django_ai.automation.workflows.api``) serves it either way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from . import action_checks  # noqa: F401  (registers the start-up check for action names)
from .declarations import ACTION_MARK, STEP_MARK
from .errors import WorkflowDefinitionError
from .metadata import StepDisplayMetadata


class ActionDefinitionError(WorkflowDefinitionError, ValueError):
    """An action step is declared in a way that cannot work."""


@dataclass(frozen=True)
class ActionSpec:
    name: str
    serializer: type
    response_serializer: type | None = None
    permissions: Sequence[Any] | None = None


def serializer_field_names(serializer: type) -> list[str]:
    """The field names a DRF serializer class exposes (instantiated, never modified)."""
    try:
        return list(serializer().fields)
    except Exception:
        # A ModelSerializer may need the app registry; its declared fields are what we can see.
        return list(getattr(serializer, "_declared_fields", {}))


def display_problems(display: StepDisplayMetadata | None, serializer: type) -> list[str]:
    """Field names the display metadata mentions that the serializer does not have."""
    if display is None:
        return []
    known = set(serializer_field_names(serializer))
    return sorted({name for name in display.field_names() if name not in known})


def _check_serializer(name: str, serializer: Any, role: str) -> None:
    from rest_framework.serializers import BaseSerializer

    if not (isinstance(serializer, type) and issubclass(serializer, BaseSerializer)):
        raise TypeError(
            f"@statezero_action(name={name!r}): {role} must be a DRF Serializer class, "
            f"not {serializer!r}."
        )


def _check_permissions(name: str, permissions: Any) -> tuple[Any, ...] | None:
    if permissions is None:
        return None
    items = tuple(permissions) if isinstance(permissions, list | tuple) else (permissions,)
    for item in items:
        if not (hasattr(item, "has_permission") or callable(item)):
            raise TypeError(
                f"@statezero_action(name={name!r}): permissions takes permission classes "
                f"(DRF BasePermission or StateZero AbstractActionPermission), not {item!r}."
            )
    return items


def _check_display(spec: ActionSpec, func: Callable[..., Any]) -> None:
    options = getattr(func, STEP_MARK, None)
    display = getattr(options, "display", None)
    unknown = display_problems(display, spec.serializer)
    if unknown:
        fields = ", ".join(serializer_field_names(spec.serializer)) or "none"
        raise ActionDefinitionError(
            f"@statezero_action(name={spec.name!r}) on step {func.__name__!r}: the step's "
            f"display metadata names field(s) {', '.join(map(repr, unknown))} that serializer "
            f"{spec.serializer.__name__} does not have (its fields: {fields}). Fix the "
            "FieldGroup/FieldDisplayConfig names or add the fields to the serializer."
        )


def statezero_action(
    name: str,
    serializer: type,
    response_serializer: type | None = None,
    permissions: Sequence[Any] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Expose the step below as action ``name``; reaching the step suspends the run."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("@statezero_action(name=...) needs a non-empty action name.")
    _check_serializer(name, serializer, "serializer")
    if response_serializer is not None:
        _check_serializer(name, response_serializer, "response_serializer")
    spec = ActionSpec(name, serializer, response_serializer,
                      _check_permissions(name, permissions))

    def mark(func: Callable[..., Any]) -> Callable[..., Any]:
        if not callable(func):
            raise TypeError(f"@statezero_action(name={name!r}) decorates a step method.")
        _check_display(spec, func)
        setattr(func, ACTION_MARK, spec)
        from . import statezero_integration

        statezero_integration.register_action(spec, func)
        return func

    return mark


__all__ = ["ActionDefinitionError", "ActionSpec", "statezero_action"]
