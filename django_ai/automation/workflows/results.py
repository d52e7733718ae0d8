"""What a step returns: small immutable values the engine turns into a transition."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

StepRef = Callable[..., Any] | str


def step_name_of(ref: StepRef) -> str:
    """The step name a reference points at: a name, a function or a bound method."""
    if isinstance(ref, str):
        return ref
    name = getattr(ref, "__name__", None)
    if not name:
        raise TypeError(f"{ref!r} is not a step: pass a step method or its name.")
    return name


def _check_timeout(timeout: timedelta | None) -> None:
    if timeout is not None and (not isinstance(timeout, timedelta) or timeout < timedelta(0)):
        raise ValueError(f"timeout={timeout!r}: must be a non-negative datetime.timedelta or None.")


@dataclass(frozen=True)
class Goto:
    step: str
    progress: float | None = None


@dataclass(frozen=True)
class Complete:
    fields: dict[str, Any]
    display_title: str | None = None
    display_subtitle: str | None = None


@dataclass(frozen=True)
class Fail:
    reason: str


@dataclass(frozen=True)
class Sleep:
    duration: timedelta


@dataclass(frozen=True)
class SignalWait:
    name: str
    timeout: timedelta | None = None
    on_timeout: str | None = None


@dataclass(frozen=True)
class EventWait:
    """Returned from a step: wait for an event. Applied to a step: make it a waiting step."""

    event_name: str
    timeout: timedelta | None = None
    on_timeout: str | None = None
    display_title: str | None = None
    display_subtitle: str | None = None
    display_waiting_for: str | None = None

    @property
    def waiting_display(self) -> dict[str, str]:
        values = {
            "display_title": self.display_title,
            "display_subtitle": self.display_subtitle,
            "display_waiting_for": self.display_waiting_for,
        }
        return {key: value for key, value in values.items() if value is not None}

    def __call__(self, func: Callable[..., Any]) -> Callable[..., Any]:
        if not callable(func) or isinstance(func, type):
            raise TypeError("@wait_for_event(...) decorates a step method.")
        func._django_ai_event_wait = self  # type: ignore[attr-defined]
        return func


@dataclass(frozen=True)
class RunSubflow:
    workflow: Any
    on_complete: str
    on_create: Callable[..., Any] | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SubflowResult:
    """What an ``on_complete`` step receives about the child run that ended."""

    status: str
    context: Any
    run_id: int
    error: str | None = None


StepResult = Goto | Complete | Fail | Sleep | SignalWait | EventWait | RunSubflow


def goto(step: StepRef, progress: float | None = None) -> Goto:
    """Move to ``step`` (a step method or its name); optionally record ``progress`` (0.0–1.0)."""
    if progress is not None and not 0.0 <= float(progress) <= 1.0:
        raise ValueError(f"goto(progress={progress!r}): must be between 0.0 and 1.0.")
    return Goto(step_name_of(step), None if progress is None else float(progress))


def complete(
    display_title: str | None = None, display_subtitle: str | None = None, **fields: Any
) -> Complete:
    """Finish the run; ``fields`` that are Context fields are merged into the Context."""
    return Complete(fields, display_title, display_subtitle)


def fail(reason: str) -> Fail:
    """Fail the run now, without retries; the ``@on_fail`` handler runs."""
    return Fail(str(reason))


def sleep(duration: timedelta) -> Sleep:
    """Wait ``duration``, then run the same step again."""
    if not isinstance(duration, timedelta) or duration < timedelta(0):
        raise ValueError(f"sleep({duration!r}): needs a non-negative datetime.timedelta.")
    return Sleep(duration)


class _Wait:
    def for_signal(
        self,
        name: str,
        timeout: timedelta | None = None,
        on_timeout: StepRef | None = None,
    ) -> SignalWait:
        """Suspend until ``engine.signal(name, ...)``; resume at the step written next."""
        if not isinstance(name, str) or not name:
            raise ValueError("wait.for_signal() needs a non-empty signal name.")
        _check_timeout(timeout)
        target = None if on_timeout is None else step_name_of(on_timeout)
        return SignalWait(name, timeout, target)


wait = _Wait()


def wait_for_event(
    event_name: str,
    timeout: timedelta | None = None,
    on_timeout: StepRef | None = None,
    display_title: str | None = None,
    display_subtitle: str | None = None,
    display_waiting_for: str | None = None,
) -> EventWait:
    """Wait for an event: return it from a step, or use it as a decorator above ``@step``."""
    if not isinstance(event_name, str) or not event_name:
        raise ValueError("wait_for_event() needs a non-empty event name.")
    _check_timeout(timeout)
    target = None if on_timeout is None else step_name_of(on_timeout)
    return EventWait(
        event_name, timeout, target, display_title, display_subtitle, display_waiting_for
    )


def run_subflow(
    workflow: Any,
    on_complete: StepRef,
    on_create: Callable[..., Any] | None = None,
    **kwargs: Any,
) -> RunSubflow:
    """Start ``workflow`` as a child run; resume at ``on_complete`` when it ends."""
    return RunSubflow(workflow, step_name_of(on_complete), on_create, kwargs)
