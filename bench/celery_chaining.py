"""Does running the next automated step in-process pay? An A/B of ``INLINE_STEP_LIMIT``.

Alternates workers with the default limit (8) and with 1 (a broker round trip per step) on the
same 10-step chains, several rounds, beside bare no-op Celery chains measured in the same run,
so a busy machine shifts both sides alike. Prints each round and the medians.

    python -m bench.celery_chaining [--runs 300] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
from pathlib import Path

from .bare_celery import chains_per_second
from .common import log, setup_django, table
from .engine_workers import celery_backend, chain_throughput, cleanup
from .worker import Worker, _children, purge

LIMITS = (8, 1)
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(worker: Worker) -> float:
    """CPU time used so far by the worker and its pool processes (robust on a busy machine,
    where wall-clock rates swing with whatever else runs)."""
    assert worker.proc is not None
    total = 0
    for pid in [worker.proc.pid, *_children(worker.proc.pid)]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / TICKS


def measured(worker: Worker, work, runs: int) -> tuple[float, float]:
    """(rate, worker CPU ms per transition) of ``work(runs)``, 10 transitions per run."""
    before = cpu_seconds(worker)
    rate = work(runs)
    return rate, (cpu_seconds(worker) - before) * 1000 / (runs * 10)


def one_round(runs: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    with Worker(concurrency=2) as worker:
        chains_per_second(20, 10)  # warm the pool processes
        figures["bare"], figures["bare cpu"] = measured(
            worker, lambda n: chains_per_second(n, 10), runs)
    for limit in LIMITS:
        key = f"limit={limit}"
        with Worker(concurrency=2, extra_env={"BENCH_INLINE_STEP_LIMIT": str(limit)}) as worker:
            chain_throughput(20)
            figures[key], figures[f"{key} cpu"] = measured(worker, chain_throughput, runs)
        cleanup()
    log(f"round: {figures}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=300, help="10-step runs per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    setup_django(fresh=True)
    purge()
    with celery_backend():
        rounds = [one_round(args.runs) for _ in range(args.rounds)]
    keys = ["bare", *(f"limit={limit}" for limit in LIMITS)]
    rows = [[f"round {n + 1}", *(f"{r[k]:,.0f} ({r[k + ' cpu']:.2f})" for k in keys)]
            for n, r in enumerate(rounds)]
    medians = {k: statistics.median(r[k] for r in rounds) for k in keys}
    cpu = {k: statistics.median(r[k + " cpu"] for r in rounds) for k in keys}
    rows.append(["median", *(f"{medians[k]:,.0f} ({cpu[k]:.2f})" for k in keys)])
    rows.append(["ratio to bare", *(f"{medians[k] / medians['bare']:.2f}" for k in keys)])
    table("Transitions/s (worker CPU ms per transition), 1 worker -c 2, 10-step chains; "
          "bare = no-op tasks/s",
          ["", "bare Celery", "INLINE_STEP_LIMIT=8", "INLINE_STEP_LIMIT=1"], rows)


if __name__ == "__main__":
    main()
