"""The ``@step`` and ``@on_fail`` decorators: they validate their arguments and mark methods."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .limits.spec import Limit
from .metadata import StepDisplayMetadata
from .retry import Retry

STEP_MARK = "_django_ai_step"
ON_FAIL_MARK = "_django_ai_on_fail"
EVENT_WAIT_MARK = "_django_ai_event_wait"
ACTION_MARK = "_django_ai_action"


@dataclass(frozen=True)
class StepOptions:
    start: bool = False
    retry: Retry | None = None
    visible: bool = True
    title: str | None = None
    display: StepDisplayMetadata | None = None
    limit: Limit | None = None


def step(
    func: Callable[..., Any] | None = None,
    *,
    start: bool = False,
    retry: Retry | None = None,
    visible: bool = True,
    title: str | None = None,
    display: StepDisplayMetadata | None = None,
    limit: Limit | None = None,
) -> Any:
    """Mark a workflow method as a step. ``@step()`` and bare ``@step`` both work."""
    if retry is not None and not isinstance(retry, Retry):
        raise TypeError(f"@step(retry=...) takes a Retry, not {retry!r}.")
    if display is not None and not isinstance(display, StepDisplayMetadata):
        raise TypeError(f"@step(display=...) takes a StepDisplayMetadata, not {display!r}.")
    if limit is not None and not isinstance(limit, Limit):
        raise TypeError(f"@step(limit=...) takes a Limit, not {limit!r}.")
    options = StepOptions(bool(start), retry, bool(visible), title, display, limit)

    def mark(method: Callable[..., Any]) -> Callable[..., Any]:
        if not callable(method):
            raise TypeError("@step decorates a method of a workflow class.")
        setattr(method, STEP_MARK, options)
        return method

    return mark(func) if func is not None else mark


def on_fail(func: Callable[..., Any]) -> Callable[..., Any]:
    """Mark the method that compensates when the run fails; it receives the run."""
    if not callable(func):
        raise TypeError("@on_fail decorates a method of a workflow class.")
    if hasattr(func, STEP_MARK):
        raise TypeError(f"@on_fail handler {func.__name__!r} must not also be a @step.")
    setattr(func, ON_FAIL_MARK, True)
    return func
