"""Retention under load: the engine's transition latency while ``workflows prune`` deletes
1,000,000 finished runs (two history rows each), against the same latency without pruning.

1. Fill the runs, finished 31–43 days ago, and VACUUM (ANALYZE).
2. Baseline: chains of ``bench_chain`` executed by the direct loop (bench/engine_direct.py);
   every ``engine.execute`` call timed: p50, p99.
3. Start ``prune(finished before 30 days)`` in a separate process (its own connection, as a
   ``manage.py workflows prune`` or the periodic task would be) and run the same loop, round
   after round, until the prune has finished. Same percentiles over the rounds run during it.

    python -m bench.retention [--quick]        (--quick: 100,000 runs)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from datetime import timedelta

from django.db import connection

from django_ai.automation.workflows.core import engine

from . import populate
from .common import log, median, pct, setup_django, stopwatch, table
from .engine_direct import collecting, start_chains

OLD_AT = "now() - interval '31 days' - g * interval '1 second'"


def add_old_finished(count: int) -> None:
    first, last = populate._insert_runs(count, (
        "SELECT 'bench_chain', '1', 'completed', 's9', '{\"n\": 0}'::jsonb, 1.0, '', 0, 10, "
        f"'', '', NULL, '', '', '', '', '{{}}'::jsonb, '{{}}'::jsonb, {OLD_AT}, {OLD_AT}, "
        f"{OLD_AT}"), [])
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {populate.HISTORY} (run_id, step_name, status, error, attempt, "
            "created_at) SELECT r.id, 's' || k, 'completed', '', 1, r.created_at "
            f"FROM {populate.RUNS} r CROSS JOIN generate_series(0, 1) AS k "
            "WHERE r.id BETWEEN %s AND %s ORDER BY r.id, k", [first, last])


def timed_round(runs: int) -> list[float]:
    """Start ``runs`` chains and execute every step, timing each transition (ms)."""
    latencies = []
    with collecting() as backend:
        start_chains(runs)
        while backend.steps:
            item = backend.steps.popleft()
            began = time.perf_counter()
            engine.execute(*item)
            latencies.append((time.perf_counter() - began) * 1000)
    return latencies


def prune_worker() -> None:
    from django_ai.automation.workflows.clock import now
    from django_ai.automation.workflows.observe.retention import prune

    with stopwatch() as elapsed:
        report = prune(now() - timedelta(days=30))
    print(f"PRUNED {report.runs} {report.history_rows} {report.batches} {elapsed[0]:.1f}",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--prune-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prune_worker:
        setup_django()
        prune_worker()
        return
    setup_django(fresh=True)
    count, runs = (100_000, 200) if args.quick else (1_000_000, 300)
    with stopwatch() as filled:
        add_old_finished(count)
        populate.analyze(vacuum=True)
    log(f"filled {count:,} finished runs in {filled[0]:.0f} s")
    timed_round(50)  # warm up
    baseline = [ms for _ in range(3) for ms in timed_round(runs)]
    log(f"baseline: {len(baseline)} transitions, p99 {pct(baseline, 99):.2f} ms")
    worker = subprocess.Popen([sys.executable, "-m", "bench.retention", "--prune-worker"],
                              stdout=subprocess.PIPE, text=True)
    during: list[float] = []
    while worker.poll() is None:
        during += timed_round(runs)
    output = worker.stdout.read() if worker.stdout else ""
    pruned = next((line.split()[1:] for line in output.splitlines()
                   if line.startswith("PRUNED")), ["?", "?", "?", "0"])
    seconds = float(pruned[3])
    table("Retention: engine transition latency while pruning", ["figure", "without pruning",
                                                                  "while pruning"], [
        ["transitions timed", f"{len(baseline):,}", f"{len(during):,}"],
        ["p50 (ms)", f"{median(baseline):.2f}", f"{median(during):.2f}"],
        ["p99 (ms)", f"{pct(baseline, 99):.2f}", f"{pct(during, 99):.2f}"],
        ["p99 ratio", "1.00", f"{pct(during, 99) / pct(baseline, 99):.2f}"],
    ])
    rate = int(pruned[0]) / seconds if seconds else 0
    log(f"pruned {pruned[0]} runs and {pruned[1]} history rows in {pruned[2]} batches, "
        f"{seconds:.0f} s ({rate:,.0f} runs/s)")


if __name__ == "__main__":
    main()
