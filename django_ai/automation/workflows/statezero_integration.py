"""Serving action steps through StateZero, when it is installed (it is an optional extra).

``@statezero_action`` calls :func:`register_action`, which registers a handler for the action's
name in StateZero's action registry; ``POST /statezero/actions/<name>/`` then validates the input
with the same wrapper serializer as the package's own endpoint and calls the same submission
code. Without StateZero installed :func:`register_action` does nothing.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

try:
    from statezero.core import exceptions as sz_exceptions
    from statezero.core.actions import action_registry
    from statezero.core.interfaces import AbstractActionPermission
except ImportError:
    action_registry = None

AVAILABLE = action_registry is not None
logger = logging.getLogger("django_ai.workflows")


class ActionTarget:
    """Stands in for a DRF view when DRF-style permissions are asked about a StateZero action."""

    def __init__(self, action_name: str) -> None:
        self.action_name = action_name
        self.kwargs = {"action_name": action_name}


def _gate(action_name: str) -> type:
    """StateZero permission class: the API permissions and the action's own, before validation."""

    class WorkflowActionGate(AbstractActionPermission):
        def has_permission(self, request: Any, name: str) -> bool:
            from .action_checks import find_action
            from .api.permissions import check_action_access, require_api_access

            view = ActionTarget(action_name)
            require_api_access(request, view)  # raises NotAuthenticated (401) / PermissionDenied
            action = find_action(action_name)
            if action is None:
                raise sz_exceptions.NotFound(f"No workflow step serves action {action_name!r}.")
            check_action_access(action, request, view)
            return True

        def has_action_permission(self, request: Any, name: str, data: dict) -> bool:
            return True  # checked in the handler, where the run is known

    WorkflowActionGate.__name__ = WorkflowActionGate.__qualname__ = "WorkflowActionPermission"
    return WorkflowActionGate


def _problem(problem: Any) -> Exception:
    """Our ActionProblem as the StateZero error its exception handler maps to the same status."""
    kinds = {400: sz_exceptions.ValidationError, 403: sz_exceptions.PermissionDenied,
             404: sz_exceptions.NotFound, 409: sz_exceptions.ConflictError}
    kind = kinds.get(problem.status_code)
    if kind is None:
        return sz_exceptions.StateZeroError(problem.detail, status_code=problem.status_code)
    error = kind(problem.detail)
    # StateZero hides 403/409 details unless DEBUG; where the run is, is not a secret.
    error.safe_detail = str(problem.detail)
    error.data = dict(problem.extra)
    return error


def _unexpected(exc: Exception, request: Any, action_name: str) -> Exception:
    """A bug (a failing hook, say): logged, and answered without its text, as our own API does.

    StateZero would show the exception's message with DEBUG on; only staff may see it then.
    """
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.http import Http404
    from rest_framework.exceptions import APIException

    from .api.submission import shows_tracebacks

    expected = (APIException, sz_exceptions.StateZeroError, PermissionDenied, ValidationError,
                Http404)
    if isinstance(exc, expected) or shows_tracebacks(request):
        return exc
    logger.error("Unexpected error in workflow action %r", action_name, exc_info=exc)
    return sz_exceptions.StateZeroError(
        "The server could not handle this request; the error was logged.", status_code=500)


def _handler(action_name: str) -> Callable[..., Any]:
    def submit_workflow_action(request: Any = None, **validated: Any) -> dict[str, Any]:
        from .api.submission import ActionProblem, submit

        try:
            return submit(action_name, validated, request, ActionTarget(action_name))
        except ActionProblem as problem:
            raise _problem(problem)
        except Exception as exc:
            error = _unexpected(exc, request, action_name)
            if error is exc:
                raise
            raise error from None

    submit_workflow_action.__name__ = f"{action_name}_workflow_action"
    submit_workflow_action._django_ai_action = action_name  # type: ignore[attr-defined]
    return submit_workflow_action


def taken_by_others(names: list[str]) -> list[str]:
    """Action names that StateZero now serves with a function other than our step handler."""
    if not AVAILABLE:
        return []
    taken = []
    for name in names:
        entry = action_registry.get_action(name) or {}
        if getattr(entry.get("function"), "_django_ai_action", None) != name:
            taken.append(name)
    return taken


def register_action(spec: Any, func: Callable[..., Any]) -> None:
    """Expose action ``spec`` under StateZero's ``/actions/<name>/`` (no-op without StateZero)."""
    if not AVAILABLE:
        return
    from .api.inputs import input_serializer
    from .declarations import STEP_MARK

    options = getattr(func, STEP_MARK, None)
    action_registry.register(
        _handler(spec.name),
        name=spec.name,
        serializer=input_serializer(spec.serializer),
        response_serializer=spec.response_serializer,
        permissions=[_gate(spec.name)],
        docstring=inspect.getdoc(func) or f"Submit workflow action step {spec.name!r}.",
        display=getattr(options, "display", None),
    )
