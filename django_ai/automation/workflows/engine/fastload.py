"""Loading a batch of runs without ``Model.__init__`` per row.

A signal to 10,000 waiting runs spent about a third of its time building model instances
(bench/README.md, "What is left"): ``Model.__init__`` walks every field with its descriptors
and sends ``pre_init``/``post_init``. Here the rows come as tuples (``values_list``, so each
field's own ``from_db_value`` still converts its value) and each instance gets them as its
attributes directly, as complete as ``from_db`` would make it (JSON columns come as text and
skip the parser when empty): nothing is deferred, so a later
``save`` writes exactly what it would have. Projects that listen to ``pre_init``/``post_init``
for these runs keep the ordinary path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from typing import Any, TypeVar

from django.db import connections, router
from django.db.models import JSONField, QuerySet, TextField, signals
from django.db.models.base import ModelState
from django.db.models.functions import Cast

from ..models import WorkflowRun


@cache
def _attnames() -> tuple[str, ...]:
    return tuple(field.attname for field in WorkflowRun._meta.concrete_fields)


@cache
def _json_fields() -> tuple[tuple[int, Any], ...]:
    return tuple((index, field) for index, field in enumerate(WorkflowRun._meta.concrete_fields)
                 if isinstance(field, JSONField))


def _columns() -> list[Any]:
    """The select list: JSON columns as their text, decoded here (most are empty)."""
    json_at = dict(_json_fields())
    return [Cast(name, TextField()) if index in json_at else name
            for index, name in enumerate(_attnames())]


def _decoded(values: tuple[Any, ...], db: Any) -> list[Any]:
    row = list(values)
    for index, field in _json_fields():
        text = row[index]
        # An empty object or list needs no parser; anything else goes through the field's
        # own from_db_value (its decoder), as a model instance's value would.
        row[index] = {} if text == "{}" else [] if text == "[]" else field.from_db_value(
            text, None, db)
    return row


def _plain() -> bool:
    return not (signals.pre_init.has_listeners(WorkflowRun)
                or signals.post_init.has_listeners(WorkflowRun))


def plain() -> bool:
    """Nothing listens to ``pre_init``/``post_init`` for runs: ``instance`` may be used."""
    return _plain()


def instance(values: list[Any], alias: str) -> WorkflowRun:
    """A run from its concrete fields' converted values (in field order), as ``from_db``
    makes it (not adding, on ``alias``) but without ``Model.__init__``."""
    run = WorkflowRun.__new__(WorkflowRun)
    state = ModelState()
    state.adding = False
    state.db = alias
    run._state = state
    run.__dict__.update(zip(_attnames(), values, strict=True))
    return run


def runs(queryset: QuerySet[WorkflowRun], size: int) -> list[WorkflowRun]:
    """``list(queryset[:size])`` (an unsliced, ordered queryset of runs), built faster."""
    if not _plain():
        return list(queryset[:size])
    names = _attnames()
    alias = queryset.db or router.db_for_read(WorkflowRun)
    db = connections[alias]
    new = WorkflowRun.__new__
    batch = []
    for values in queryset.values_list(*_columns())[:size]:
        run = new(WorkflowRun)
        state = ModelState()
        state.adding = False
        state.db = alias
        run._state = state
        run.__dict__.update(zip(names, _decoded(values, db), strict=True))
        batch.append(run)
    return batch


Row = TypeVar("Row")


def locked_batches(queryset: QuerySet[WorkflowRun], size: int,
                   fetch: Callable[[QuerySet[WorkflowRun], int], list[Row]],
                   pk_of: Callable[[Row], int]) -> Iterator[list[Row]]:
    """Lock the matching runs in id order, ``size`` at a time (so two callers queue rather
    than deadlock), yielding what ``fetch`` makes of each locked slice."""
    last_id = 0
    while True:
        batch = fetch(queryset.filter(pk__gt=last_id).order_by("pk").select_for_update(), size)
        if batch:
            yield batch
            last_id = pk_of(batch[-1])
        if len(batch) < size:
            return
