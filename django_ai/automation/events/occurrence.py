"""``Occurrence``: what event workflows' ``create_context(event=...)`` receive."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import Event

_MISSING = object()


class Occurrence:
    """An event of one entity: ``id``, ``event_name``, ``entity``, ``entity_id``, ``at``."""

    __slots__ = ("_entity", "at", "entity_id", "entity_model", "event_name", "id")

    def __init__(self, event: Event, entity: Any = _MISSING) -> None:
        self.id: int = event.pk
        self.event_name: str = event.event_name
        self.entity_model: str = event.entity_label
        self.entity_id: Any = event.typed_entity_id()
        self.at: datetime = event.at
        self._entity = entity if entity is not _MISSING else event

    @property
    def entity(self) -> models.Model | None:
        """The entity instance (None if it no longer exists)."""
        if isinstance(self._entity, Event):
            event = self._entity
            model = ContentType.objects.get_for_id(event.entity_type_id).model_class()
            self._entity = (model._base_manager.filter(pk=self.entity_id).first()
                            if model is not None else None)
        return self._entity

    def __repr__(self) -> str:
        return (f"<Occurrence {self.id} {self.event_name!r} of {self.entity_model}"
                f"#{self.entity_id} at {self.at.isoformat()}>")


def load_entities(events: Iterable[Event]) -> dict[tuple[int, str], models.Model]:
    """The events' entity instances, one query per model: ``(content type id, pk) -> obj``."""
    wanted: dict[int, set[str]] = defaultdict(set)
    for event in events:
        wanted[event.entity_type_id].add(event.entity_id)
    found: dict[tuple[int, str], models.Model] = {}
    for type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:
            continue
        pk_field = model._meta.pk
        for obj in model._base_manager.filter(pk__in=[pk_field.to_python(i) for i in ids]):
            found[(type_id, str(obj.pk))] = obj
    return found


def occurrences(events: list[Event]) -> dict[int, Occurrence]:
    """Occurrences for ``events`` with their entities loaded in bulk, keyed by event id."""
    entities = load_entities(events)
    return {
        event.pk: Occurrence(event, entities.get((event.entity_type_id, event.entity_id)))
        for event in events
    }
