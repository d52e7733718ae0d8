"""Loading a batch of runs without ``Model.__init__`` per row.

A signal to 10,000 waiting runs spent about a third of its time building model instances
(bench/README.md, "What is left"): ``Model.__init__`` walks every field with its descriptors
and sends ``pre_init``/``post_init``. Here the rows come as tuples (``values_list``, so each
field's own ``from_db_value`` still converts its value) and each instance gets them as its
attributes directly, as complete as ``from_db`` would make it: nothing is deferred, so a later
``save`` writes exactly what it would have. Projects that listen to ``pre_init``/``post_init``
for these runs keep the ordinary path.
"""

from __future__ import annotations

from functools import cache

from django.db import router
from django.db.models import QuerySet, signals
from django.db.models.base import ModelState

from ..models import WorkflowRun


@cache
def _attnames() -> tuple[str, ...]:
    return tuple(field.attname for field in WorkflowRun._meta.concrete_fields)


def _plain() -> bool:
    return not (signals.pre_init.has_listeners(WorkflowRun)
                or signals.post_init.has_listeners(WorkflowRun))


def runs(queryset: QuerySet[WorkflowRun], size: int) -> list[WorkflowRun]:
    """``list(queryset[:size])`` (an unsliced, ordered queryset of runs), built faster."""
    if not _plain():
        return list(queryset[:size])
    names = _attnames()
    alias = queryset.db or router.db_for_read(WorkflowRun)
    new = WorkflowRun.__new__
    batch = []
    for values in queryset.values_list(*names)[:size]:
        run = new(WorkflowRun)
        state = ModelState()
        state.adding = False
        state.db = alias
        run._state = state
        run.__dict__.update(zip(names, values, strict=True))
        batch.append(run)
    return batch
