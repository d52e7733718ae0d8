"""Signal handlers for models that declare ``events``: record, move and cancel events.

A save adds at most one SELECT (skipped for a new row) and one INSERT to the caller's
transaction, plus an UPDATE or two when it moves a scheduled date. The work of planning runs
and making events occur happens after the commit (``firing.EventHandoff``).
"""

from __future__ import annotations

from datetime import date, datetime, time
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from ..workflows.clock import now as clock_now
from .definitions import EventDefinition, definitions_for
from .firing import CONDITION_FALSE, occur_after_commit, settle
from .models import Event, EventKind, EventStatus
from .planning import cancel_runs, move_runs

_SEEN = "_django_ai_events_recorded"
DATE_CLEARED = "The date field was cleared."
ENTITY_DELETED = "The entity was deleted."


def as_datetime(field: models.Field, value: Any) -> datetime | None:
    """A date field's value as an aware datetime (a date means midnight, local time)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = field.to_python(value)
    if not isinstance(value, datetime):
        if not isinstance(value, date):
            raise TypeError(f"{field} holds {value!r}, not a date or datetime.")
        value = datetime.combine(value, time.min)
    if settings.USE_TZ and timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def date_of(instance: models.Model, declared: EventDefinition) -> datetime | None:
    field = instance._meta.get_field(declared.date_field)  # type: ignore[arg-type]
    return as_datetime(field, getattr(instance, field.attname))


def new_event(instance: models.Model, name: str, at: datetime, kind: str) -> Event:
    content_type = ContentType.objects.get_for_model(instance, for_concrete_model=False)
    return Event(event_name=name, entity_type=content_type, entity_id=str(instance.pk), at=at,
                 kind=kind)


def _existing(instance: models.Model, conditions: list[EventDefinition],
              dates: dict[EventDefinition, datetime | None]) -> list[Event]:
    """One query: the rows that decide what this save records."""
    names = [d.name for d in conditions] + [d.name for d in dates]
    at_values = [value for value in dates.values() if value is not None]
    return list(Event.objects.for_entity(instance).filter(event_name__in=names).filter(
        Q(status=EventStatus.PENDING) | Q(kind=EventKind.CONDITION) | Q(at__in=at_values)))


def _condition_rows(instance: models.Model, conditions: list[EventDefinition],
                    existing: list[Event], now: datetime) -> list[Event]:
    recorded = {e.event_name for e in existing
                if e.kind == EventKind.CONDITION and e.status != EventStatus.CANCELLED}
    rows = [new_event(instance, declared.name, now, EventKind.CONDITION)
            for declared in conditions if declared.name not in recorded]
    # Remember on the instance that these are recorded, so its next saves skip the SELECT;
    # only once committed: after a rollback the same instance must record them again.
    seen = instance.__dict__.setdefault(_SEEN, set())
    transaction.on_commit(partial(seen.update, [declared.name for declared in conditions]))
    return rows


def _settled_at(rows: list[Event], at: datetime) -> bool:
    """An event at ``at`` already happened (or was called off at its time): do not plan again."""
    return any(e.at == at and (e.status == EventStatus.OCCURRED or e.note == CONDITION_FALSE)
               for e in rows)


def _schedule(instance: models.Model, declared: EventDefinition, value: datetime | None,
              existing: list[Event], now: datetime) -> tuple[Event | None, int | None]:
    """Returns (a new row to insert, the id of an event moved or cancelled)."""
    rows = [e for e in existing if e.name == declared.name and e.kind == EventKind.SCHEDULED]
    pending = next((e for e in rows if e.status == EventStatus.PENDING), None)
    if pending is not None:
        if value is None:
            _cancel([pending.pk], DATE_CLEARED, now)
            return None, None
        if pending.at == value:
            return None, None
        # Only while still pending: a tick that fired it meanwhile wins, and the new date
        # then gets an occurrence of its own (below).
        if Event.objects.filter(pk=pending.pk, status=EventStatus.PENDING).update(
                at=value, updated_at=now):
            pending.at = value
            if pending.planned:
                move_runs(pending, now)
            return None, pending.pk
    if value is None or _settled_at(rows, value):
        return None, None
    return new_event(instance, declared.name, value, EventKind.SCHEDULED), None


def _cancel(event_ids: list[int], reason: str, now: datetime) -> None:
    Event.objects.filter(pk__in=event_ids, status=EventStatus.PENDING).update(
        status=EventStatus.CANCELLED, note=reason, updated_at=now)
    cancel_runs(event_ids, f"Not started: {reason[0].lower()}{reason[1:]}", now)


def on_save(sender: type[models.Model], instance: models.Model, created: bool = False,
            raw: bool = False, update_fields: Any = None, **kwargs: Any) -> None:
    if raw:  # loading fixtures is not the entity changing
        return
    declared = definitions_for(sender)
    seen = instance.__dict__.get(_SEEN, ())
    conditions = [d for d in declared
                  if not d.scheduled and d.name not in seen and d.holds(instance)]
    dates = {d: date_of(instance, d) for d in declared
             if d.scheduled and (update_fields is None or d.date_field in update_fields)}
    if not conditions and not dates:
        return
    now = clock_now()
    existing = [] if created else _existing(instance, conditions, dates)
    new_rows = _condition_rows(instance, conditions, existing, now)
    touched = []
    for definition, value in dates.items():
        row, moved = _schedule(instance, definition, value, existing, now)
        if row is not None:
            new_rows.append(row)
        if moved is not None:
            touched.append(moved)
    Event.objects.bulk_create(new_rows)
    occur_after_commit([row.pk for row in new_rows] + touched)
    settle()


def on_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    """Cancel the entity's pending events and every run planned from its events not started."""
    now = clock_now()
    events = Event.objects.for_entity(instance)
    events.filter(status=EventStatus.PENDING).update(
        status=EventStatus.CANCELLED, note=ENTITY_DELETED, updated_at=now)
    cancel_runs(events.values("pk"), "Not started: the entity was deleted.", now)


def connect(models_with_events: list[type[models.Model]]) -> None:
    for model in models_with_events:
        uid = f"django_ai_events:{model._meta.label}"
        post_save.connect(on_save, sender=model, dispatch_uid=uid, weak=False)
        post_delete.connect(on_delete, sender=model, dispatch_uid=uid, weak=False)
