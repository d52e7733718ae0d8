"""What the registry knows about a workflow class and its steps, built once at decoration."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ValidationError

from .declarations import ACTION_MARK, EVENT_WAIT_MARK, ON_FAIL_MARK, STEP_MARK, StepOptions
from .errors import ContextError, WorkflowDefinitionError
from .limits.spec import BoundLimit, Limit, bind, check_key
from .results import EventWait
from .retry import Retry


@dataclass(frozen=True)
class StepSpec:
    name: str
    options: StepOptions
    parameters: frozenset[str]
    accepts_any_kwargs: bool
    event_wait: EventWait | None = None
    action: Any = None  # an ActionSpec, set by @statezero_action

    @property
    def suspends_on_entry(self) -> bool:
        """Reaching this step suspends the run before its body runs."""
        return self.event_wait is not None or self.action is not None

    def accepts(self, parameter: str) -> bool:
        return parameter in self.parameters or self.accepts_any_kwargs


@dataclass(frozen=True)
class EventTrigger:
    event_name: str
    offset: Any = timedelta(0)  # timedelta or dateutil.relativedelta


@dataclass
class WorkflowSpec:
    name: str
    version: str
    cls: type
    context_cls: type[BaseModel]
    steps: dict[str, StepSpec]
    start_step: str
    on_fail: str | None = None
    default_retry: Retry | None = None
    trigger: EventTrigger | None = None
    step_order: list[str] = field(default_factory=list)
    # Limits by step name ("" for the workflow's own); empty for most workflows.
    limits: dict[str, BoundLimit] = field(default_factory=dict)
    schedules: list[Any] = field(default_factory=list)

    @property
    def identity(self) -> str:
        return f"{self.cls.__module__}.{self.cls.__qualname__}"

    def step(self, name: str) -> StepSpec | None:
        return self.steps.get(name)

    def step_after(self, name: str) -> str | None:
        """The step written directly after ``name`` in the class body."""
        index = self.step_order.index(name)
        return self.step_order[index + 1] if index + 1 < len(self.step_order) else None

    def retry_for(self, step_name: str) -> Retry:
        spec = self.steps[step_name]
        return spec.options.retry or self.default_retry or Retry()

    def build_context(self, **kwargs: Any) -> BaseModel:
        """The Context for a new run. Without ``create_context``, a keyword the Context does
        not declare is refused (``ContextError``); validation errors name the workflow."""
        from .engine.contextdata import describe, field_names, unknown_keys

        factory: Callable[..., Any] | None = getattr(self.cls, "create_context", None)
        unknown = unknown_keys(self.context_cls, kwargs) if factory is None else []
        if unknown:
            raise ContextError(
                f"Workflow {self.name!r} cannot start with {', '.join(map(repr, unknown))}: not "
                f"a field of its Context (fields: {field_names(self.context_cls)}). Nothing "
                "was created."
            )
        try:
            context = factory(**kwargs) if factory is not None else self.context_cls(**kwargs)
        except ValidationError as exc:
            raise ContextError(f"Workflow {self.name!r} cannot start: {describe(exc)}. Nothing "
                               "was created.") from exc
        if not isinstance(context, self.context_cls):
            raise WorkflowDefinitionError(
                f"Workflow {self.name!r}: create_context() returned {type(context).__name__}, "
                f"expected an instance of {self.cls.__name__}.Context."
            )
        return context


def _step_spec(name: str, func: Callable[..., Any]) -> StepSpec:
    signature = inspect.signature(func)
    params = [p for p in signature.parameters.values() if p.name != "self"]
    return StepSpec(
        name=name,
        options=getattr(func, STEP_MARK),
        parameters=frozenset(p.name for p in params),
        accepts_any_kwargs=any(p.kind is p.VAR_KEYWORD for p in params),
        event_wait=getattr(func, EVENT_WAIT_MARK, None),
        action=getattr(func, ACTION_MARK, None),
    )


def _class_members(cls: type) -> dict[str, Any]:
    """Members in class-body order, base classes first, so step order follows the source."""
    members: dict[str, Any] = {}
    for klass in reversed(cls.__mro__[:-1]):
        for key, value in vars(klass).items():
            members.pop(key, None)
            members[key] = value
    return members


def build_spec(
    cls: type,
    name: str,
    version: str,
    default_retry: Retry | None,
    trigger: EventTrigger | None = None,
    limit: Limit | None = None,
) -> WorkflowSpec:
    where = f"Workflow {name!r} ({cls.__module__}.{cls.__qualname__})"
    members = _class_members(cls)
    handlers = [key for key, value in members.items() if getattr(value, ON_FAIL_MARK, False)]
    if len(handlers) > 1:
        raise WorkflowDefinitionError(
            f"{where} has several @on_fail handlers ({', '.join(handlers)}); keep exactly one."
        )
    context_cls = members.get("Context")
    if not (isinstance(context_cls, type) and issubclass(context_cls, BaseModel)):
        raise WorkflowDefinitionError(
            f"{where} needs a nested `class Context(pydantic.BaseModel)` describing its data."
        )
    steps = {key: _step_spec(key, value) for key, value in members.items()
             if callable(value) and hasattr(value, STEP_MARK)}
    starts = [key for key, spec in steps.items() if spec.options.start]
    if len(starts) != 1:
        found = f"found {', '.join(starts)}" if starts else "found none"
        raise WorkflowDefinitionError(
            f"{where} needs exactly one @step(start=True); {found}."
        )
    return WorkflowSpec(
        name=name, version=version, cls=cls, context_cls=context_cls, steps=steps,
        start_step=starts[0], on_fail=handlers[0] if handlers else None,
        default_retry=default_retry, trigger=trigger, step_order=list(steps),
        limits=_limits(where, name, context_cls, steps, limit),
    )


def _limits(where: str, name: str, context_cls: type, steps: dict[str, StepSpec],
            limit: Limit | None) -> dict[str, BoundLimit]:
    bound = {key: bind(name, key, spec.options.limit) for key, spec in steps.items()
             if spec.options.limit is not None}
    if limit is not None:
        bound[""] = bind(name, "", limit)
    for key, item in bound.items():
        if key and steps[key].suspends_on_entry:
            raise WorkflowDefinitionError(
                f"{where}: step {key!r} waits on entry (an event or an action); put its Limit "
                "on the step that does the work.")
        check_key(context_cls, item, f"{where}, step {key!r}" if key else where)
    return bound
