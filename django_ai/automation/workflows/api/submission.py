"""Submitting an action step: shared by the package's DRF endpoint and the StateZero action.

Both transports validate the input first, then call :func:`submit`, which finds the run, applies
the visibility hook and the action's permissions, runs the step through the engine under the
run's row lock, and turns engine errors into :class:`ActionProblem` (an HTTP status and body).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions

from .. import registry
from ..action_checks import RUN_ID_FIELD, find_action_step
from ..engine import engine
from ..errors import ActionFailedError, RunStateError
from ..models import WorkflowRun
from ..specs import StepSpec
from .permissions import check_action_object, visible_runs

logger = logging.getLogger("django_ai.workflows")


class ActionProblem(Exception):
    """An action submission that cannot go ahead: ``status_code`` and a JSON ``body``."""

    def __init__(self, status_code: int, detail: Any, **extra: Any) -> None:
        super().__init__(str(detail))
        self.status_code = status_code
        self.detail = detail
        self.extra = extra
        # Field errors keep DRF's usual shape ({"field": [...]}); messages go under "detail".
        structured = isinstance(detail, dict | list) and not extra
        self.body = detail if structured else {"detail": detail, **extra}


def run_outcome(run: WorkflowRun) -> dict[str, Any]:
    """What a successful submission answers: where the run is now."""
    return {
        RUN_ID_FIELD: run.pk,
        "status": run.status,
        "current_step": run.current_step,
        "progress": run.progress,
        "current_step_display": run.current_step_display,
    }


def _conflict(run: WorkflowRun, message: str) -> ActionProblem:
    return ActionProblem(409, message, **{RUN_ID_FIELD: run.pk, "status": run.status,
                                          "current_step": run.current_step})


def _step_kwargs(step: StepSpec, values: dict[str, Any], request: Any) -> dict[str, Any]:
    # Fields the step does not accept are left out (system check django_ai.W030 warns);
    # ``request`` goes only to a step that names it as a parameter.
    kwargs = {key: value for key, value in values.items() if step.accepts(key)}
    if "request" in step.parameters:
        kwargs["request"] = request
    return kwargs


def shows_tracebacks(request: Any) -> bool:
    """Error details go to staff on a DEBUG server only; never to other users."""
    user = getattr(request, "user", None)
    return bool(settings.DEBUG and user is not None and user.is_authenticated and user.is_staff)


def _failure(action_name: str, run_id: int, exc: ActionFailedError,
             request: Any) -> ActionProblem:
    """A body that raised: its own validation errors become a 400, anything else a 500."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, exceptions.APIException):
            return ActionProblem(cause.status_code, cause.detail)
        if isinstance(cause, DjangoValidationError):
            return ActionProblem(400, getattr(cause, "message_dict", None) or cause.messages)
        cause = cause.__cause__ or cause.__context__
    logger.error("Action %r on run %s failed: %s", action_name, run_id, exc)
    detail = (f"Action {action_name!r} failed on run {run_id}; nothing was kept and the run "
              "still waits at the step.")
    return ActionProblem(500, f"{detail}\n{exc}" if shows_tracebacks(request) else detail)


def _resolve(action_name: str, run_id: int, request: Any) -> tuple[WorkflowRun, StepSpec]:
    run = visible_runs(request, WorkflowRun.objects.all()).filter(pk=run_id).first()
    if run is None:  # a second query only on this path: hidden (403) or unknown (404)?
        if WorkflowRun.objects.filter(pk=run_id).exists():
            raise ActionProblem(403, f"You may not advance workflow run {run_id}.")
        raise ActionProblem(404, f"No workflow run with id {run_id}.")
    spec = registry.find(run.name)
    step = find_action_step(spec, action_name) if spec is not None else None
    if step is None:
        raise _conflict(run, f"Run {run_id} ({run.name}) has no action step {action_name!r}; "
                             f"it is {run.status} at step {run.current_step!r}.")
    return run, step


def submit(action_name: str, validated: dict[str, Any], request: Any, view: Any) -> dict[str, Any]:
    """Run action ``action_name`` for the run ``validated`` names; returns :func:`run_outcome`."""
    values = dict(validated)
    run_id = values.pop(RUN_ID_FIELD)
    run, step = _resolve(action_name, run_id, request)
    check_action_object(step.action, request, view, run, values)
    try:
        run = engine.submit_action(run.pk, step.name, _step_kwargs(step, values, request))
    except WorkflowRun.DoesNotExist:
        raise ActionProblem(404, f"No workflow run with id {run_id}.")
    except RunStateError as exc:
        run.refresh_from_db()
        raise _conflict(run, str(exc))
    except ActionFailedError as exc:
        raise _failure(action_name, run_id, exc, request)
    return run_outcome(run)


def shape_response(action: Any, outcome: dict[str, Any]) -> tuple[int, Any]:
    """Apply the action's ``response_serializer`` (StateZero's convention: validate the data)."""
    if action.response_serializer is None:
        return 200, outcome
    shaped = action.response_serializer(data=outcome)
    if not shaped.is_valid():
        return 500, {"detail": f"The response of action {action.name!r} does not fit "
                               f"{action.response_serializer.__name__}: {shaped.errors}"}
    return 200, shaped.validated_data
