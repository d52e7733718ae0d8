"""Deleting finished runs: ``workflows prune`` and the ``RETENTION`` setting.

A run may go when it finished (completed, failed or cancelled) before the cutoff, its parent,
if any, has finished too, and none of its subworkflows is still active. Its history rows go with
it, and so do its subworkflows (the parent link cascades). Runs are taken oldest-finished first
through the ``finished_at`` index, ``batch_size`` runs per transaction, so the engine's own
transactions never wait long behind a delete.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from ....conf import ai_settings
from ..clock import now
from ..management.runinfo import parse_age
from ..models import TERMINAL_STATUSES, StepExecution, WorkflowRun

# The periodic task deletes at most this many batches per tick, so a tick stays short and a
# large backlog is worked off over the following ticks.
BATCHES_PER_TICK = 10
# Unless told otherwise, rest after each batch for half as long as it took: deleting is
# housekeeping, and the engine's transactions get the database (and the CPU) in between.
DUTY_PAUSE = 0.5


@dataclass
class PruneReport:
    cutoff: datetime
    dry_run: bool
    runs: int = 0
    history_rows: int = 0
    batches: int = 0
    by_workflow: Counter = field(default_factory=Counter)  # (name, status) -> runs

    def lines(self) -> list[str]:
        verb = "Would delete" if self.dry_run else "Deleted"
        head = (f"{verb} {self.runs} run(s) finished before {self.cutoff:%Y-%m-%d %H:%M:%S} "
                f"UTC and {self.history_rows} history row(s)")
        head += "." if self.dry_run else f", in {self.batches} batch(es)."
        rows = [f"  {name:<40} {status:<10} {count:>9}"
                for (name, status), count in sorted(self.by_workflow.items())]
        return [head, *rows]


def parse_retention(value: Any) -> timedelta | None:
    """``RETENTION`` as a timedelta: a timedelta, a number of seconds or ``"30d"``."""
    if value in (None, "", 0):
        return None
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    return parse_age(str(value))


def prunable(cutoff: datetime, workflow: str | None = None) -> QuerySet[WorkflowRun]:
    """Runs that may be deleted, oldest finished first."""
    active_children = WorkflowRun.objects.filter(parent_run=OuterRef("pk")).exclude(
        status__in=TERMINAL_STATUSES)
    runs = (WorkflowRun.objects.filter(finished_at__lt=cutoff, status__in=TERMINAL_STATUSES)
            .filter(Q(parent_run__isnull=True) | Q(parent_run__status__in=TERMINAL_STATUSES))
            .exclude(Exists(active_children)))
    if workflow:
        runs = runs.filter(name=workflow)
    return runs.order_by("finished_at", "id")


def _delete_batch(ids: list[int], report: PruneReport) -> None:
    with transaction.atomic():
        family = list(WorkflowRun.objects.filter(Q(pk__in=ids) | Q(parent_run_id__in=ids))
                      .values_list("name", "status"))
        report.history_rows += StepExecution.objects.filter(run_id__in=ids).delete()[0]
        deleted = WorkflowRun.objects.filter(pk__in=ids).delete()[1]
        report.history_rows += deleted.get(StepExecution._meta.label, 0)
        report.runs += deleted.get(WorkflowRun._meta.label, 0)
        report.by_workflow.update(family)
    report.batches += 1


def prune(cutoff: datetime, *, dry_run: bool = False, batch_size: int | None = None,
          max_batches: int | None = None, workflow: str | None = None,
          pause: float | None = None) -> PruneReport:
    """Delete (or with ``dry_run`` count) the runs :func:`prunable` selects.

    ``pause``: seconds to sleep after each batch; None rests half as long as the batch took.
    """
    report = PruneReport(cutoff=cutoff, dry_run=dry_run)
    candidates = prunable(cutoff, workflow)
    if dry_run:
        counts = candidates.order_by().values("name", "status").annotate(n=Count("id"))
        report.by_workflow.update({(row["name"], row["status"]): row["n"] for row in counts})
        report.runs = sum(report.by_workflow.values())
        report.history_rows = StepExecution.objects.filter(
            run__in=candidates.order_by().values("pk")).count()
        return report
    size = int(batch_size or ai_settings()["RETENTION_BATCH_SIZE"])
    after: tuple[datetime, int] | None = None
    while max_batches is None or report.batches < max_batches:
        batch = candidates
        if after is not None:  # go on from the last batch instead of over its dead rows
            batch = batch.filter(Q(finished_at__gt=after[0]) | Q(finished_at=after[0],
                                                                  pk__gt=after[1]))
        rows = list(batch.values_list("finished_at", "pk")[:size])
        if not rows:
            break
        after = rows[-1]
        began = time.monotonic()
        _delete_batch([pk for _, pk in rows], report)
        rest = (time.monotonic() - began) * DUTY_PAUSE if pause is None else pause
        if rest > 0:
            time.sleep(rest)  # leave the database to the engine for a moment
    return report


def run_periodic(at: datetime | None = None) -> int:
    """What the periodic task does when ``RETENTION`` is set; returns the runs deleted."""
    keep = parse_retention(ai_settings()["RETENTION"])
    if keep is None:
        return 0
    return prune((at or now()) - keep, max_batches=BATCHES_PER_TICK).runs
