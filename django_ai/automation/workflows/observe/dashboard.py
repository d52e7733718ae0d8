"""The figures behind the admin dashboard, each one query shaped to stay fast at 1M runs.

Every query reads an index that the engine already keeps (status, due timers) or the
``finished_at`` index retention needs. Step throughput needs the last 24 hours of history rows,
whose ``created_at`` has no index (an index there would cost every transition's INSERT): the
history table's ids grow with time, so the first id of the window is found by a binary search
over the primary key (about 20 point lookups) and the window is then read as an id range.
``bench/dashboard.py`` records the plans at 1,000,000 runs.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Min, Q
from django.db.models.functions import TruncHour

from ....conf import ai_settings
from ..clock import now
from ..models import StepExecution, WorkflowRun, WorkflowStatus

ACTIVE = (WorkflowStatus.RUNNING, WorkflowStatus.WAITING, WorkflowStatus.SUSPENDED)
WINDOW = timedelta(hours=24)
LATENESS_BUCKETS = [(timedelta(seconds=10), "< 10 s"), (timedelta(minutes=1), "10 s – 1 min"),
                    (timedelta(minutes=10), "1 – 10 min"), (timedelta(hours=1), "10 min – 1 h"),
                    (None, "> 1 h")]


def runs_by_workflow(at: datetime) -> list[dict[str, Any]]:
    """Active runs (status index) and runs finished in the last 24 h (finished_at index)."""
    active = (WorkflowRun.objects.filter(status__in=ACTIVE).values("name", "status")
              .annotate(count=Count("id")).order_by())
    finished = (WorkflowRun.objects.filter(finished_at__gte=at - WINDOW)
                .values("name", "status").annotate(count=Count("id")).order_by())
    return sorted([*active, *finished], key=lambda row: (row["name"], row["status"]))


def _since(boundary: int, moment: datetime) -> bool:
    """Whether the first history row with an id at or above ``boundary`` is from ``moment`` on."""
    created = (StepExecution.objects.filter(pk__gte=boundary).order_by("pk")
               .values_list("created_at", flat=True).first())
    return created is not None and created >= moment


def first_step_id_since(moment: datetime) -> int | None:
    """An id from which on history rows are from ``moment`` on (ids grow with time)."""
    bounds = StepExecution.objects.aggregate(low=Min("id"), high=Max("id"))
    low, high = bounds["low"], bounds["high"]
    if high is None or not _since(high, moment):
        return None
    while low < high:  # the smallest boundary where _since holds is in [low, high]
        middle = (low + high) // 2
        if _since(middle, moment):
            high = middle
        else:
            low = middle + 1
    return low


def step_throughput(at: datetime) -> list[dict[str, Any]]:
    """Finished steps per hour over the last 24 h, completed and failed."""
    since = at - WINDOW
    first = first_step_id_since(since)
    if first is None:
        return []
    rows = (StepExecution.objects.filter(pk__gte=first, created_at__gte=since)
            .annotate(hour=TruncHour("created_at")).values("hour")
            .annotate(completed=Count("id", filter=Q(status="completed")),
                      failed=Count("id", filter=Q(status="failed")),
                      cancelled=Count("id", filter=Q(status="cancelled")))
            .order_by("hour"))
    return list(rows)


def oldest_waiting(at: datetime, limit: int = 10) -> list[dict[str, Any]]:
    """The oldest runs still waiting or suspended (status index, read in id order), with how
    long each has waited in its current wait (since its last transition)."""
    fields = ("id", "name", "status", "current_step", "wait_kind", "waiting_for", "wake_at",
              "created_at", "updated_at")
    found = []
    for status in (WorkflowStatus.WAITING, WorkflowStatus.SUSPENDED):
        found += WorkflowRun.objects.filter(status=status).order_by("id").values(*fields)[:limit]
    oldest = sorted(found, key=lambda row: row["id"])[:limit]
    for row in oldest:
        row["waiting_seconds"] = max((at - row["updated_at"]).total_seconds(), 0.0)
    return oldest


def held_for_recovery(at: datetime, limit: int = 20) -> list[dict[str, Any]]:
    """RUNNING runs untouched for longer than recovery waits: lost deliveries the periodic task
    will hand out again (or steps still running for that long)."""
    cutoff = at - timedelta(seconds=int(ai_settings()["RECOVERY_AFTER_SECONDS"]))
    return list(WorkflowRun.objects.filter(status=WorkflowStatus.RUNNING, updated_at__lt=cutoff)
                .order_by("id").values("id", "name", "current_step", "attempt", "updated_at")
                [:limit])


def timer_backlog(at: datetime) -> dict[str, Any]:
    """Due timers not fired yet, by how late they are, and the timers due in the next hour.

    One aggregate over the due-timer index (``wake_at`` up to an hour ahead)."""
    late: dict[str, Count] = {}
    upper = at
    for index, (width, _label) in enumerate(LATENESS_BUCKETS):
        condition = Q(wake_at__lte=upper) & (Q(wake_at__gt=at - width) if width else Q())
        late[f"late{index}"] = Count("id", filter=condition)
        upper = at - width if width else upper
    soon = {f"soon{minutes}": Count("id", filter=Q(
        wake_at__gt=at + timedelta(minutes=minutes - 10),
        wake_at__lte=at + timedelta(minutes=minutes))) for minutes in range(10, 70, 10)}
    counts = WorkflowRun.objects.timed().order_by().filter(
        wake_at__lte=at + timedelta(hours=1)).aggregate(**late, **soon, oldest=Min("wake_at"))
    oldest = counts["oldest"]
    return {
        "late": {label: counts[f"late{i}"] for i, (_w, label) in enumerate(LATENESS_BUCKETS)},
        "upcoming": {f"in {m - 10}–{m} min": counts[f"soon{m}"] for m in range(10, 70, 10)},
        "max_lateness_seconds": (at - oldest).total_seconds() if oldest and oldest <= at else 0.0,
    }


def collect(at: datetime | None = None) -> dict[str, Any]:
    at = at or now()
    return {"now": at, "runs_by_workflow": runs_by_workflow(at),
            "throughput": step_throughput(at), "oldest_waiting": oldest_waiting(at),
            "held_for_recovery": held_for_recovery(at), "timers": timer_backlog(at)}
