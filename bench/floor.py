"""The database floor: the least a step transition must do, as one PostgreSQL transaction
(lock the run row, update it, insert one history row), from one Python process.

    python -m bench.floor [--quick]
"""

from __future__ import annotations

import argparse
import itertools

from .common import db_url, log, rate, setup_django, stopwatch, table

RUN_TABLE = "django_ai_workflows_workflowrun"
HISTORY_TABLE = "django_ai_workflows_stepexecution"


def make_rows(count: int) -> list[int]:
    from django_ai.automation.workflows.models import WorkflowRun

    rows = WorkflowRun.objects.bulk_create(
        WorkflowRun(name="bench_floor", current_step="s0") for _ in range(count)
    )
    return [row.pk for row in rows]


def cleanup() -> None:
    from django_ai.automation.workflows.models import WorkflowRun

    WorkflowRun.objects.filter(name="bench_floor").delete()


def psycopg_floor(ids: list[int], transactions: int) -> float:
    """Raw psycopg 3, synchronous_commit on: tx/s."""
    import psycopg

    cycle = itertools.cycle(ids)
    with psycopg.connect(db_url()) as conn, conn.cursor() as cur, stopwatch() as elapsed:
        for _ in range(transactions):
            run_id = next(cycle)
            with conn.transaction():
                cur.execute(f"SELECT seq FROM {RUN_TABLE} WHERE id = %s FOR UPDATE",
                            (run_id,))
                cur.execute(f"UPDATE {RUN_TABLE} SET seq = seq + 1, current_step = %s, "
                            "updated_at = now() WHERE id = %s", ("s1", run_id))
                cur.execute(f"INSERT INTO {HISTORY_TABLE} (run_id, step_name, status, error, "
                            "attempt, created_at) VALUES (%s, %s, 'completed', '', 1, now())",
                            (run_id, "s0"))
    return rate(transactions, elapsed[0])


def orm_floor(ids: list[int], transactions: int) -> float:
    """Django ORM: ``select_for_update().get()``, ``save()``, ``create()``: tx/s."""
    from django.db import transaction
    from django.utils import timezone

    from django_ai.automation.workflows.models import StepExecution, WorkflowRun

    cycle = itertools.cycle(ids)
    with stopwatch() as elapsed:
        for _ in range(transactions):
            with transaction.atomic():
                run = WorkflowRun.objects.select_for_update().get(pk=next(cycle))
                run.seq += 1
                run.save()
                StepExecution.objects.create(run=run, step_name="s0", status="completed",
                                             created_at=timezone.now())
    return rate(transactions, elapsed[0])


def measure(quick: bool) -> dict[str, float]:
    transactions = 1000 if quick else 4000
    ids = make_rows(1000)
    try:
        psycopg_floor(ids, 200)  # warm up
        results = {
            "floor_psycopg": max(psycopg_floor(ids, transactions) for _ in range(2)),
            "floor_orm": max(orm_floor(ids, transactions) for _ in range(2)),
        }
    finally:
        cleanup()
    log(f"floor: {results}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    setup_django(fresh=True)
    results = measure(args.quick)
    table("Database floor (lock + update + insert history, one transaction)", ["path", "tx/s"],
          [["raw psycopg", results["floor_psycopg"]], ["Django ORM", results["floor_orm"]]])


if __name__ == "__main__":
    main()
