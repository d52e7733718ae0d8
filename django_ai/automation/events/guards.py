"""The start guard: a run planned from an event starts only if the event still stands."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType

from ..workflows.models import WorkflowRun
from .definitions import definition
from .models import Event, EventKind, EventStatus


def event_still_holds(run: WorkflowRun) -> bool:
    """False when the run's event was cancelled, its entity is gone, or its condition fails.

    Called by the timer for every run whose planned start has come (with the run locked).
    """
    if run.trigger_event_id is None:
        return True
    event = Event.objects.filter(pk=run.trigger_event_id).first()
    if event is None:  # the event row was removed by hand; nothing to check against
        return True
    if event.status == EventStatus.CANCELLED:
        return False
    model = ContentType.objects.get_for_id(event.entity_type_id).model_class()
    if model is None:
        return False
    entity = model._base_manager.filter(pk=event.typed_entity_id()).first()
    if entity is None:
        return False
    if event.kind == EventKind.EMITTED:  # raised from code: no declared condition applies
        return True
    declared = definition(model, event.event_name)
    return declared is None or declared.holds(entity)
