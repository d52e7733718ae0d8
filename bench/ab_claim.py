"""Before/after of the one engine change the profile led to: claiming a delivery by primary key
(then checking status/step/seq in Python) instead of with all four conditions in SQL, where
PostgreSQL walked the status index past every RUNNING run. Both versions run alternately in
the same process on the same tables, direct engine.execute loop.

    python -m bench.ab_claim [--quick]
"""

from __future__ import annotations

import argparse
from unittest import mock

from django_ai.automation.workflows.engine import execution
from django_ai.automation.workflows.models import WorkflowRun, WorkflowStatus

from . import engine_direct, populate
from .common import log, setup_django, table


def old_claim(run_id: int, step: str, seq: int) -> WorkflowRun | None:
    """The claim as it was before (kept here only to measure against)."""
    return (
        WorkflowRun.objects.select_for_update(skip_locked=True)
        .filter(pk=run_id, status=WorkflowStatus.RUNNING, current_step=step, seq=seq)
        .first()
    )


def measure(runs: int, rounds: int) -> dict[str, float]:
    best = {"before": 0.0, "after": 0.0}
    with engine_direct.collecting() as backend:
        engine_direct.transitions(backend, 50)
        for _ in range(rounds):
            with mock.patch.object(execution, "claim", old_claim):
                best["before"] = max(best["before"], engine_direct.transitions(backend, runs))
            best["after"] = max(best["after"], engine_direct.transitions(backend, runs))
    populate.delete_runs("name = %s", ["bench_chain"])
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    setup_django(fresh=True)
    populate.add_finished_runs(10_000 if args.quick else 100_000)
    populate.analyze(vacuum=True)
    rows = []
    for runs in (200, 1000) if args.quick else (1000, 3000):
        result = measure(runs, 2 if args.quick else 3)
        log(f"{runs} running: {result}")
        rows.append([f"{runs:,} runs × 10 steps in flight", result["before"], result["after"],
                     f"{(result['after'] / result['before'] - 1) * 100:+.0f} %"])
    table("Claim by pk: transitions/s before and after (direct loop, best of rounds)",
          ["workload", "before", "after", "change"], rows)


if __name__ == "__main__":
    main()
