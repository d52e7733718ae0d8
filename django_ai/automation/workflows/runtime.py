"""The step being executed right now, found through a context variable."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from .errors import NoActiveStepError

if TYPE_CHECKING:
    from .models import WorkflowRun


@dataclass
class ActiveStep:
    run: WorkflowRun
    context: BaseModel
    step_name: str


_active: ContextVar[ActiveStep | None] = ContextVar("django_ai_active_step", default=None)


def get_context() -> Any:
    """Return the live Context of the run whose step is executing; changes are saved with it."""
    active = _active.get()
    if active is None:
        raise NoActiveStepError()
    return active.context


def current_run() -> WorkflowRun | None:
    active = _active.get()
    return active.run if active else None


@contextmanager
def activate(run: WorkflowRun, context: BaseModel, step_name: str):
    token = _active.set(ActiveStep(run, context, step_name))
    try:
        yield
    finally:
        _active.reset(token)
