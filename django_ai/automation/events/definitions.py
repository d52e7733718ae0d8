"""``EventDefinition`` and the record of which models declare events.

Declarations are collected when each model class is prepared, before Django's reverse relations
are attached: a relation whose accessor is also called ``events`` replaces the class attribute
later, and the system check can then tell the declaration was lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models.signals import class_prepared

logger = logging.getLogger("django_ai.events")


@dataclass(frozen=True)
class EventDefinition:
    """An event a model declares in ``events = [...]``.

    Without ``date_field`` the event occurs after the commit of the save that makes
    ``condition`` true (once per entity). With ``date_field`` it occurs at that field's value.
    """

    name: str
    condition: Callable[[Any], bool] | None = None
    date_field: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("EventDefinition(name) needs a non-empty string name.")
        if self.condition is not None and not callable(self.condition):
            raise ValueError(
                f"EventDefinition({self.name!r}, condition=...) takes a callable "
                f"(instance -> bool), not {self.condition!r}."
            )
        if self.date_field is not None and (not isinstance(self.date_field, str)
                                            or not self.date_field):
            raise ValueError(
                f"EventDefinition({self.name!r}, date_field=...) takes a field name string."
            )

    @property
    def scheduled(self) -> bool:
        return self.date_field is not None

    def holds(self, instance: models.Model) -> bool:
        """Evaluate the condition; one that raises counts as false and is logged."""
        if self.condition is None:
            return True
        try:
            return bool(self.condition(instance))
        except Exception:
            logger.exception(
                "Condition of event %r on model %s raised for pk=%s; treated as false",
                self.name, instance._meta.label, instance.pk,
            )
            return False


# Model class -> the list object it declared (kept to detect a later clash).
_declared: dict[type[models.Model], list[Any]] = {}


def _is_declaration(value: Any) -> bool:
    return isinstance(value, list | tuple) and any(
        isinstance(item, EventDefinition) for item in value
    )


def note_model(model: type[models.Model]) -> None:
    """Remember ``model``'s ``events`` declaration, if it has one."""
    value = getattr(model, "events", None)
    if model not in _declared and _is_declaration(value):
        _declared[model] = value


def _collect(sender: type[models.Model], **kwargs: Any) -> None:
    note_model(sender)


class_prepared.connect(_collect, dispatch_uid="django_ai_events_collect")


def declared_models() -> dict[type[models.Model], list[Any]]:
    """Every model that declared ``events``, with its declaration as written."""
    return dict(_declared)


def definitions_for(model: type[models.Model]) -> list[EventDefinition]:
    return [item for item in _declared.get(model, ()) if isinstance(item, EventDefinition)]


def definition(model: type[models.Model], name: str) -> EventDefinition | None:
    for item in definitions_for(model):
        if item.name == name:
            return item
    return None
