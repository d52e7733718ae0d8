"""Who may read and advance runs: the configured permission classes, the visibility hook and
each action's own ``permissions=``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.utils.module_loading import import_string
from rest_framework import exceptions
from rest_framework.permissions import BasePermission, IsAdminUser

from ....conf import ai_settings
from ..models import WorkflowRun


def _load(item: Any, key: str) -> Any:
    if not isinstance(item, str):
        return item
    try:
        return import_string(item)
    except ImportError as exc:
        raise ImproperlyConfigured(f"DJANGO_AI[{key!r}]: cannot import {item!r} ({exc}).")


def api_permissions() -> list[BasePermission]:
    """Instances of ``DJANGO_AI["API_PERMISSION_CLASSES"]`` (dotted paths or classes)."""
    classes = ai_settings()["API_PERMISSION_CLASSES"] or []
    return [_load(cls, "API_PERMISSION_CLASSES")() for cls in classes]


def staff_permissions() -> list[BasePermission]:
    """Operator endpoints (cancel, retry, signal): the API classes plus ``is_staff``."""
    return [*api_permissions(), IsAdminUser()]


def default_visibility(queryset: QuerySet, request: Any) -> QuerySet:
    """The rule without a hook: staff see every run, other users the runs they started.

    Anonymous users see none. A ``RUN_VISIBILITY_HOOK`` replaces this rule; a hook that only
    adds to it (or narrows it) can call this function and combine its result.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return queryset.none()
    if user.is_staff:
        return queryset
    return queryset.filter(started_by=user)


def all_runs(queryset: QuerySet, request: Any) -> QuerySet:
    """A ready-made hook: every run to every user the permission classes let in.

    Setting ``RUN_VISIBILITY_HOOK`` to
    ``"django_ai.automation.workflows.api.permissions.all_runs"`` restores the first release's
    behaviour; use it only where every user may see and advance every run.
    """
    return queryset


def visible_runs(request: Any, queryset: QuerySet | None = None) -> QuerySet:
    """The runs ``request``'s user may see and advance: ``RUN_VISIBILITY_HOOK`` or the default.

    When the user may see all of ``queryset``, the same queryset object comes back, so callers
    can skip a filter (``visible is runs``).
    """
    runs = WorkflowRun.objects.all() if queryset is None else queryset
    hook = ai_settings()["RUN_VISIBILITY_HOOK"]
    if not hook:
        return default_visibility(runs, request)
    limited = _load(hook, "RUN_VISIBILITY_HOOK")(runs, request)
    if not isinstance(limited, QuerySet):
        raise ImproperlyConfigured(
            f"DJANGO_AI['RUN_VISIBILITY_HOOK'] ({hook!r}) must return a queryset of runs, "
            f"not {type(limited).__name__}."
        )
    return limited


def deny(request: Any, message: str) -> exceptions.APIException:
    """401 for an anonymous user, 403 otherwise (as DRF decides for its own views)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return exceptions.NotAuthenticated()
    return exceptions.PermissionDenied(message)


def require_api_access(request: Any, view: Any) -> None:
    """Apply the API permission classes outside a DRF view of ours (the StateZero path)."""
    for permission in api_permissions():
        if not permission.has_permission(request, view):
            raise deny(request, getattr(permission, "message", None) or
                       "You do not have permission to advance workflow runs.")


def _instances(action: Any) -> list[Any]:
    return [p() if isinstance(p, type) else p for p in (action.permissions or ())]


def _message(permission: Any, default: str) -> str:
    """The permission's own ``message`` (as DRF shows it), else ``default``."""
    message = getattr(permission, "message", None)
    return message if isinstance(message, str) and message else default


def _is_statezero_style(permission: Any) -> bool:
    return hasattr(permission, "has_action_permission")


def check_action_access(action: Any, request: Any, view: Any) -> None:
    """Per-action permissions, before the input is validated."""
    for permission in _instances(action):
        target = action.name if _is_statezero_style(permission) else view
        if not permission.has_permission(request, target):
            raise deny(request, _message(permission, f"You may not submit action "
                                                     f"{action.name!r}."))


def check_action_object(action: Any, request: Any, view: Any, run: WorkflowRun,
                        values: dict[str, Any]) -> None:
    """Per-action permissions that look at the run (DRF) or the validated data (StateZero)."""
    for permission in _instances(action):
        if _is_statezero_style(permission):
            allowed = permission.has_action_permission(request, action.name, values)
        else:
            allowed = permission.has_object_permission(request, view, run)
        if not allowed:
            raise deny(request, _message(permission, f"You may not submit action "
                                                     f"{action.name!r} for run {run.pk}."))
