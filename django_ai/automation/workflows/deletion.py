"""Deleting runs: a subworkflow its parent is waiting for cannot be deleted on its own.

``WorkflowRun.active_child`` uses :func:`protect_waiting_parent` as its ``on_delete``. Deleting
such a child alone would leave the parent suspended forever, so it raises ``ProtectedError``
for the parent (Django reports it as a protected object, and the admin lists it). Deleting the
parent too, in the same call or through its cascade to its children, is allowed; any other
parent that pointed at the deleted run simply forgets it, as ``SET_NULL`` did before
(docs/decisions-engine.md).
"""

from __future__ import annotations

from typing import Any

from django.db.models import ProtectedError


def protect_waiting_parent(collector: Any, field: Any, sub_objs: Any, using: str) -> None:
    from .models import WaitKind, WorkflowStatus

    deleting = collector.data.get(field.model, set())
    waiting = [
        parent
        for parent in sub_objs.filter(status=WorkflowStatus.SUSPENDED, wait_kind=WaitKind.SUBFLOW)
        .only("pk", "name", "active_child_id")
        if parent not in deleting
    ]
    if waiting:
        described = ", ".join(f"run {p.pk} ({p.name}) waits for run {p.active_child_id}"
                              for p in waiting)
        raise ProtectedError(
            f"Cannot delete a subworkflow run its parent is waiting for: {described}. Cancel "
            "the parent (which cancels the child), or delete the parent with it.", waiting)
    collector.add_field_update(field, None, sub_objs)


# The collector passes the related rows as a queryset without evaluating it; this handler
# runs one query for the (few) parents actually waiting.
protect_waiting_parent.lazy_sub_objs = True  # type: ignore[attr-defined]
