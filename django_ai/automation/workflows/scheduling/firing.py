"""Firing due schedules from the engine's tick (a ``TimerSource``).

Each schedule is fired under its row lock (a second beat skips it) and every due time is
claimed by inserting the unique ``ScheduleFire`` row in the same transaction as the run's
start: if two processes ever get past the lock, the second insert fails and starts nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from .. import registry
from ..engine.finishing import cap
from ..models import TERMINAL_STATUSES, WorkflowRun
from .models import Overlap, Schedule, ScheduleFire
from .sync import declared, sync_code_schedules
from .timing import recent_due

logger = logging.getLogger("django_ai.workflows")
_BATCH = 100


def fire_due(at: datetime) -> int:
    sync_code_schedules()
    due = list(Schedule.objects.filter(enabled=True, next_due_at__lte=at)
               .order_by("next_due_at").values_list("pk", flat=True)[:_BATCH])
    return sum(fire_schedule(pk, at) for pk in due)


def next_due() -> datetime | None:
    sync_code_schedules()
    row = (Schedule.objects.filter(enabled=True, next_due_at__isnull=False)
           .order_by("next_due_at").only("next_due_at").first())
    return row.next_due_at if row is not None else None


def fire_schedule(pk: int, at: datetime) -> int:
    """Start the run(s) the schedule owes at ``at``; returns how many due times it fired."""
    with transaction.atomic():
        row = (Schedule.objects.select_for_update(skip_locked=True)
               .filter(pk=pk, enabled=True, next_due_at__lte=at).first())
        if row is None:
            return 0
        if row.from_code and row.name not in declared():
            return 0  # declared by code this process does not have (an older or newer deploy)
        bound = 1 if row.catch_up == "latest" else max(row.catch_up_limit, 1)
        after = row.last_due_at or (row.next_due_at - timedelta(microseconds=1))
        times = recent_due(row.cron, row.every_seconds, row.timezone, after, at, bound)
        for due in times:
            _fire_once(row, due)
        if times:
            row.last_due_at = times[-1]
        row.plan_next(at)
        row.save(update_fields=["last_due_at", "next_due_at", "last_run", "last_error",
                                "updated_at"])
        return len(times)


def _claim(row: Schedule, due: datetime) -> ScheduleFire | None:
    try:
        with transaction.atomic():
            return ScheduleFire.objects.create(schedule=row, due_at=due,
                                               outcome=ScheduleFire.Outcome.STARTED)
    except IntegrityError:
        return None  # this due time was already fired


def _active_runs(row: Schedule) -> list[int]:
    fired = ScheduleFire.objects.filter(schedule=row, run__isnull=False).values("run_id")
    return list(WorkflowRun.objects.filter(pk__in=fired).exclude(status__in=TERMINAL_STATUSES)
                .values_list("pk", flat=True))


def _fire_once(row: Schedule, due: datetime) -> None:
    fire = _claim(row, due)
    if fire is None:
        return
    active = _active_runs(row) if row.overlap != Overlap.ALLOW else []
    if active and row.overlap == Overlap.SKIP:
        fire.outcome = ScheduleFire.Outcome.SKIPPED
        fire.detail = f"Run {active[0]} of this schedule was still active."
        fire.save(update_fields=["outcome", "detail"])
        return
    try:
        with transaction.atomic():
            run = _start(row, active)
    except Exception as exc:  # a bad schedule must not stop the tick for the others
        logger.warning("Schedule %r could not start %r at %s: %s", row.name, row.workflow, due, exc)
        fire.outcome = ScheduleFire.Outcome.FAILED
        fire.detail = row.last_error = cap(f"{type(exc).__name__}: {exc}")
        fire.save(update_fields=["outcome", "detail"])
        return
    fire.run = run
    fire.save(update_fields=["run"])
    row.last_run, row.last_error = run, ""


def _start(row: Schedule, active: list[int]) -> WorkflowRun:
    from ..engine import operations
    from ..engine.starting import new_run

    spec = registry.get(row.workflow)
    context = spec.build_context(**(row.kwargs or {}))
    for run_id in active:
        operations.cancel(run_id, f"Cancelled by schedule {row.name!r}: the next run started.")
    return new_run(spec, context)
