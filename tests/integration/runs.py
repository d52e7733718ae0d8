"""Run helpers shared by the worker tiers (Celery in tests/integration, Django Tasks in
tests/integration_tasks): start runs, read their history, assert how they finished."""

from __future__ import annotations

from collections import Counter

from django.db import connection

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import StepExecution, WorkflowRun, WorkflowStatus
from tests.testapp.models import Ledger

FINISHED = (WorkflowStatus.COMPLETED, WorkflowStatus.FAILED, WorkflowStatus.CANCELLED)


def start_many(name: str, count: int, **kwargs) -> list[int]:
    return [engine.start(name, **kwargs).pk for _ in range(count)]


def unfinished(ids: list[int]) -> dict:
    """(status, current_step) → count of the runs in ``ids`` that have not finished."""
    return dict(Counter(WorkflowRun.objects.filter(pk__in=ids).exclude(status__in=FINISHED)
                        .values_list("status", "current_step")))


def all_finished(ids: list[int]) -> bool:
    return WorkflowRun.objects.filter(pk__in=ids, status__in=FINISHED).count() == len(ids)


def history(run_id: int) -> list[str]:
    rows = StepExecution.objects.filter(run_id=run_id).order_by("id")
    return [f"{row.step_name}:{row.status}" for row in rows]


def assert_runs(ids: list[int], steps: list[str], note: str | None) -> None:
    """Each run COMPLETED with exactly this history and (if given) one ledger row ``note``."""
    expected = [f"{name}:completed" for name in steps]
    notes = Counter(Ledger.objects.filter(run_id__in=ids, note=note).values_list("run_id",
                                                                                 flat=True))
    for run in WorkflowRun.objects.filter(pk__in=ids):
        assert run.status == WorkflowStatus.COMPLETED, (run.pk, run.status, run.error)
        assert history(run.pk) == expected, run.pk
        if note is not None:
            assert notes[run.pk] == 1, f"run {run.pk} wrote {notes[run.pk]} {note!r} rows"


def suspended(ids: list[int]) -> bool:
    waiting = WorkflowRun.objects.filter(pk__in=ids, status=WorkflowStatus.SUSPENDED)
    return waiting.count() == len(ids)


def open_step_transactions() -> int:
    """Worker connections inside a transaction right now (a step body mid-way)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state = 'idle in transaction' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]
