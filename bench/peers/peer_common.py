"""Measuring helpers shared by both sides of the peer comparison (standard library only: the
DBOS side runs in its own virtualenv without Django or this project)."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


def cpu_seconds() -> float:
    """User + system CPU of this process, all threads (the database server's is not included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_steps(drive: Callable[[int], None], runs: int, steps: int,
                  counts: dict[str, int]) -> dict[str, float]:
    """Run ``drive(runs)`` and report steps/s, CPU ms per step and statements per step.

    ``counts`` holds ``data`` and ``control`` (BEGIN/COMMIT) statement counters that the
    caller's hooks increment; they are zeroed here.
    """
    counts["data"] = counts["control"] = 0
    cpu = cpu_seconds()
    with stopwatch() as elapsed:
        drive(runs)
    cpu = cpu_seconds() - cpu
    total = runs * steps
    return {
        "steps_s": total / elapsed[0],
        "cpu_ms": cpu / total * 1000,
        "stmts_data": counts["data"] / total,
        "stmts_all": (counts["data"] + counts["control"]) / total,
    }
