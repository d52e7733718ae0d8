"""System checks for ``events = [...]`` declarations (IDs ``django_ai.E1xx``)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.checks import Error, register
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from .definitions import EventDefinition, declared_models


def _clash(model: type[models.Model], declared: list[Any]) -> list[Error]:
    try:
        field = model._meta.get_field("events")
    except FieldDoesNotExist:
        field = None
    if field is None and getattr(model, "events", None) is declared:
        return []
    what = f"the {field.__class__.__name__} 'events'" if field is not None else "another attribute"
    return [Error(
        f"{model._meta.label}.events declares workflow events but clashes with {what}.",
        hint="Rename the field or the relation's related_name so 'events' stays the list of "
             "EventDefinition.",
        obj=model, id="django_ai.E103",
    )]


def _date_field(model: type[models.Model], declared: EventDefinition) -> list[Error]:
    label = f"{model._meta.label} event {declared.name!r}"
    try:
        field = model._meta.get_field(declared.date_field)  # type: ignore[arg-type]
    except FieldDoesNotExist:
        return [Error(f"{label}: date_field {declared.date_field!r} is not a field of the model.",
                      hint="Name a DateField or DateTimeField of this model.",
                      obj=model, id="django_ai.E101")]
    if not isinstance(field, models.DateField):
        return [Error(
            f"{label}: date_field {declared.date_field!r} is a {field.__class__.__name__}, "
            "not a date or datetime field.",
            hint="Name a DateField or DateTimeField of this model.", obj=model,
            id="django_ai.E102")]
    return []


def _entries(model: type[models.Model], declared: list[Any]) -> list[Error]:
    errors = [Error(f"{model._meta.label}.events holds {item!r}, not an EventDefinition.",
                    hint="List only EventDefinition(...) objects in 'events'.",
                    obj=model, id="django_ai.E104")
              for item in declared if not isinstance(item, EventDefinition)]
    names = Counter(item.name for item in declared if isinstance(item, EventDefinition))
    errors += [Error(f"{model._meta.label}.events declares {name!r} {count} times.",
                     hint="Give each event of a model a distinct name.",
                     obj=model, id="django_ai.E105")
               for name, count in names.items() if count > 1]
    return errors


@register()
def check_event_declarations(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    for model, declared in declared_models().items():
        errors += _clash(model, declared) + _entries(model, declared)
        for item in declared:
            if isinstance(item, EventDefinition) and item.scheduled:
                errors += _date_field(model, item)
    return errors
