"""``bulk_create`` on the managers of a model that declares events records its events too.

Django sends no ``post_save`` for ``bulk_create``; without this, rows created in bulk would
silently have no events. The rows' events are inserted with one more ``bulk_create``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import models

from ..workflows.clock import now as clock_now
from .definitions import definitions_for
from .firing import occur_after_commit, settle
from .models import Event, EventKind
from .recording import date_of, new_event

_WRAPPED = "_django_ai_events_bulk"


def _conflicts_allowed(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """``ignore_conflicts``/``update_conflicts`` (keyword or positional): rows may not be new."""
    ignore = kwargs.get("ignore_conflicts", args[1] if len(args) > 1 else False)
    update = kwargs.get("update_conflicts", args[2] if len(args) > 2 else False)
    return bool(ignore or update)


def record_created(model: type[models.Model], objs: Iterable[models.Model]) -> None:
    """Record the events of freshly created rows, as their saves would have."""
    declared = definitions_for(model)
    now = clock_now()
    rows: list[Event] = []
    for obj in objs:
        if obj.pk is None:  # a database that cannot return the new keys
            continue
        for definition in declared:
            if definition.scheduled:
                at = date_of(obj, definition)
                if at is not None:
                    rows.append(new_event(obj, definition.name, at, EventKind.SCHEDULED))
            elif definition.holds(obj):
                rows.append(new_event(obj, definition.name, now, EventKind.CONDITION))
    Event.objects.bulk_create(rows)
    occur_after_commit([row.pk for row in rows])
    settle()


def _wrap(manager: models.Manager, original: Callable[..., Any]) -> Callable[..., Any]:
    def bulk_create(objs: Iterable[models.Model], *args: Any, **kwargs: Any) -> Any:
        created = original(objs, *args, **kwargs)
        if not _conflicts_allowed((None, *args), kwargs):
            record_created(manager.model, created)
        return created

    setattr(bulk_create, _WRAPPED, True)
    return bulk_create


def wrap_managers(model: type[models.Model]) -> None:
    """Make ``Model.objects.bulk_create(...)`` (every manager of ``model``) record events."""
    for manager in model._meta.managers:
        current = manager.bulk_create
        if not getattr(current, _WRAPPED, False):
            manager.bulk_create = _wrap(manager, current)  # type: ignore[method-assign]
