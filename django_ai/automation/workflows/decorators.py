"""``@workflow`` and ``@event_workflow``: validate a class and register it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, create_model

from . import registry
from .errors import WorkflowDefinitionError
from .limits.spec import Limit
from .retry import Retry
from .specs import EventTrigger, build_spec

C = TypeVar("C", bound=type)


def workflow(name: str, version: str = "1", default_retry: Retry | None = None, *,
             limit: Limit | None = None, schedules: Any = ()) -> Any:
    """Register a class with a ``Context`` model and one ``@step(start=True)`` as a workflow.

    ``limit`` bounds the runs active at once (or started per period); ``schedules`` is a list
    of ``Schedule`` that start the workflow on a calendar.
    """
    if not isinstance(name, str) or not name:
        raise WorkflowDefinitionError("@workflow(name) needs a non-empty string name.")
    if default_retry is not None and not isinstance(default_retry, Retry):
        raise WorkflowDefinitionError(f"@workflow({name!r}, default_retry=...) takes a Retry.")

    if limit is not None and not isinstance(limit, Limit):
        raise WorkflowDefinitionError(f"@workflow({name!r}, limit=...) takes a Limit.")
    from .scheduling.declare import attach_schedules

    def register(cls: C) -> C:
        spec = build_spec(cls, name, str(version), default_retry, limit=limit)
        attach_schedules(spec, schedules)
        registry.register(spec)
        return cls

    return register


def _valid_offset(offset: Any) -> bool:
    if isinstance(offset, timedelta):
        return True
    try:
        from dateutil.relativedelta import relativedelta
    except ImportError:  # pragma: no cover - python-dateutil is a dependency
        return False
    return isinstance(offset, relativedelta)


def _default_event_context(cls: type) -> None:
    if "Context" not in vars(cls):
        context = create_model("Context", entity_id=(int | str | None, None), __base__=BaseModel)
        context.__qualname__ = f"{cls.__qualname__}.Context"
        cls.Context = context  # type: ignore[attr-defined]
    if "create_context" not in vars(cls):

        def create_context(klass: type, event: Any = None, **kwargs: Any) -> BaseModel:
            fields = klass.Context.model_fields
            if event is not None and "entity_id" in fields and "entity_id" not in kwargs:
                kwargs["entity_id"] = event.entity_id
            return klass.Context(**kwargs)

        cls.create_context = classmethod(create_context)  # type: ignore[attr-defined]


def event_workflow(
    event_name: str,
    offset: Any = timedelta(0),
    name: str | None = None,
    version: str = "1",
    default_retry: Retry | None = None,
    limit: Limit | None = None,
) -> Any:
    """Register a workflow started once per occurrence of ``event_name``, at ``at + offset``.

    ``limit`` bounds its active runs (or spaces its starts) per key, as on ``@workflow``.
    """
    if not isinstance(event_name, str) or not event_name:
        raise WorkflowDefinitionError("@event_workflow(event_name) needs a non-empty name.")
    if not _valid_offset(offset):
        raise WorkflowDefinitionError(
            f"@event_workflow({event_name!r}, offset={offset!r}): offset must be a timedelta "
            "or a dateutil relativedelta."
        )

    if limit is not None and not isinstance(limit, Limit):
        raise WorkflowDefinitionError(f"@event_workflow({event_name!r}, limit=...) takes a Limit.")

    def register(cls: C) -> C:
        _default_event_context(cls)
        workflow_name = name or f"{event_name}:{cls.__module__}.{cls.__qualname__}"
        trigger = EventTrigger(event_name, offset)
        registry.register(build_spec(cls, workflow_name, str(version), default_retry, trigger,
                                     limit=limit))
        return cls

    return register
