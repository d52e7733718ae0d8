"""Keep one ``Schedule`` row per schedule declared in code. Definitions follow the code;
``enabled`` (pause and resume) and the firing state stay the operators'."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from .. import registry
from .declare import Schedule as Declared
from .models import Schedule


def declared() -> dict[str, tuple[str, Declared]]:
    """Row name → (workflow, declaration) for every schedule declared in this process."""
    return {name: (spec.name, item) for spec in registry.all_specs()
            for name, item in spec.schedules}


def _values(workflow: str, item: Declared) -> dict[str, Any]:
    return {"workflow": workflow, "cron": item.cron or "", "every_seconds": item.every_seconds,
            "timezone": item.timezone, "kwargs": dict(item.kwargs), "overlap": item.overlap,
            "catch_up": item.catch_up, "catch_up_limit": item.catch_up_limit}


def sync_code_schedules() -> int:
    """Create or update the rows of code schedules; no query when none is declared."""
    wanted = declared()
    if not wanted:
        return 0
    rows = {row.name: row for row in Schedule.objects.filter(name__in=list(wanted))}
    changed = 0
    for name, (workflow, item) in wanted.items():
        values = _values(workflow, item)
        row = rows.get(name)
        if row is not None and row.from_code and all(
                getattr(row, key) == value for key, value in values.items()):
            continue
        changed += _save(row, name, values)
    return changed


def _save(row: Schedule | None, name: str, values: dict[str, Any]) -> int:
    if row is None:
        row = Schedule(name=name)
    for key, value in values.items():
        setattr(row, key, value)
    row.from_code = True
    row.plan_next(row.last_due_at)  # a changed calendar is re-planned from the last fire
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # another process created it first; the next tick compares again
        return 0
    return 1

