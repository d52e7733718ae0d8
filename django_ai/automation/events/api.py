"""``emit()``: make an entity's event occur from code (a payment callback, a webhook)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import models

from ..workflows.clock import now as clock_now

if TYPE_CHECKING:
    from .occurrence import Occurrence


def emit(event_name: str, entity: models.Model, at: datetime | None = None) -> Occurrence:
    """Record ``event_name`` for ``entity``; it occurs at ``at`` (default: now).

    Inside a transaction the event occurs after the commit (nothing if it rolls back). It wakes
    the runs waiting for it whose binding matches ``entity`` and starts its event workflows.
    Returns the :class:`~django_ai.automation.events.occurrence.Occurrence`.
    """
    from django.contrib.contenttypes.models import ContentType

    from .firing import occur_after_commit, settle
    from .models import Event, EventKind
    from .occurrence import Occurrence
    from .recording import as_datetime

    if not isinstance(event_name, str) or not event_name:
        raise ValueError("emit(event_name, entity) needs a non-empty event name.")
    if not isinstance(entity, models.Model) or entity.pk is None:
        raise ValueError(
            f"emit({event_name!r}, entity): entity must be a saved model instance, not {entity!r}."
        )
    when = clock_now() if at is None else as_datetime(models.DateTimeField(name="at"), at)
    event = Event.objects.create(
        event_name=event_name, at=when, kind=EventKind.EMITTED, entity_id=str(entity.pk),
        entity_type=ContentType.objects.get_for_model(entity, for_concrete_model=False),
    )
    occur_after_commit([event.pk])
    settle()
    return Occurrence(event, entity)
