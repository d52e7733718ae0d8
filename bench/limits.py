"""Issue 13: concurrency and rate limits with real workers, and their cost to other steps.

    python -m bench.limits [--quick]

- 200 runs on 4 keys, a limit of 3 per key, 2 workers: the highest number of bodies of one
  key seen running at once, and the completion time against the limit-bound ideal
  (ceil(50 / 3) rounds of the hold time).
- A 120/min rate limit under a backlog: entries counted over 2 minutes (30 s with --quick).
- Statements per transition of unlimited steps, in a workflow without limits and in one with
  a limited step, measured on the same run.
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

from django.db import transaction

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.limits.models import LimitHolder, LimitWaiter

from .benchapp.workflows import LIMIT_PER_KEY, RATE_PER_MINUTE
from .common import log, pct, setup_django, table
from .engine_direct import capture, collecting, data_statements, start_chains
from .engine_workers import _last_id, celery_backend, wait_done
from .worker import Worker, purge
from .workerapp import redis_client

KEYS = ("k0", "k1", "k2", "k3")
RUNS = 200
WORKER_CONCURRENCY = 8
_WARMUP = 5.0


def peak_overlap(spans: list[tuple[float, float]]) -> int:
    edges = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
    level = peak = 0
    for _, change in edges:
        level += change
        peak = max(peak, level)
    return peak


def handover_gaps(spans: list[tuple[float, float]]) -> list[float]:
    """From a body's end to the start of the body that took its place (limit-th next start)."""
    starts, ends = sorted(a for a, _ in spans), sorted(b for _, b in spans)
    return [starts[i + LIMIT_PER_KEY] - ends[i] for i in range(len(spans) - LIMIT_PER_KEY)]


def concurrency(hold: float) -> dict[str, float]:
    redis_client().delete("bench:spans")
    first = _last_id()
    started = time.perf_counter()
    with transaction.atomic():
        for n in range(RUNS):
            engine.start("bench_limited", key=KEYS[n % len(KEYS)], hold=hold)
        committing = time.perf_counter()
    wait_done("bench_limited", first, RUNS, timeout=600)
    elapsed = time.perf_counter() - started
    after_commit = time.perf_counter() - committing
    spans: dict[str, list[tuple[float, float]]] = {key: [] for key in KEYS}
    for item in redis_client().lrange("bench:spans", 0, -1):
        key, a, b = item.decode().split()
        spans[key].append((float(a), float(b)))
    ideal = math.ceil(RUNS / len(KEYS) / LIMIT_PER_KEY) * hold
    leaks = LimitHolder.objects.count() + LimitWaiter.objects.count()
    gaps = [gap for key in KEYS for gap in handover_gaps(spans[key])]
    every = [edge for key in KEYS for span in spans[key] for edge in span]
    return {"hold": hold, "elapsed": elapsed, "after_commit": after_commit, "ideal": ideal,
            "makespan": max(every) - min(every), "gap_p50": pct(gaps, 50),
            "gap_p90": pct(gaps, 90),
            "peak": max(peak_overlap(s) for s in spans.values()),
            "peaks": [peak_overlap(spans[key]) for key in KEYS],
            "bodies": sum(len(s) for s in spans.values()), "left_rows": leaks}


def rate_limit(window: float) -> dict[str, float]:
    redis_client().delete("bench:entries")
    # More demand than the rate allows, for the whole window.
    backlog = int(RATE_PER_MINUTE * (window + _WARMUP) / 60 * 1.25) + 10
    first = _last_id()
    with transaction.atomic():
        for _ in range(backlog):
            engine.start("bench_rated")
    time.sleep(window + _WARMUP + 5)
    entries = sorted(float(x) for x in redis_client().lrange("bench:entries", 0, -1))
    # The window opens a few seconds after the first entry: the entries were booked when the
    # runs were started, so the first ones, delivered late by the start-up, bunch together.
    begin = entries[0] + _WARMUP
    inside = [t for t in entries if begin <= t < begin + window]
    expected = RATE_PER_MINUTE * window / 60
    wait_done("bench_rated", first, backlog, timeout=window * 2 + 120)
    return {"window": window, "entries": len(inside), "expected": expected,
            "deviation": (len(inside) - expected) / expected * 100, "backlog": backlog}


def statements() -> dict[str, float]:
    """Data statements per unlimited transition: a plain chain against a limited workflow's."""
    with collecting() as backend:
        start_chains(50)
        with capture() as captured:
            executed_plain = backend.drain()
        plain = data_statements(captured)  # now: the next capture() empties the query log
        with transaction.atomic():
            for n in range(50):
                engine.start("bench_mixed", key=f"m{n}")
        first = []  # s0 and s1 of every run: unlimited steps of a workflow with a limit
        for _ in range(100):
            with capture() as one:
                backend.steps and engine.execute(*backend.steps.popleft())
            first.append(data_statements(one))
        backend.drain()
    return {"plain": plain / executed_plain,
            "mixed_unlimited": sum(first) / len(first)}


def _with_workers(env: dict[str, str], action: Any) -> Any:
    purge()
    workers = [Worker(WORKER_CONCURRENCY, "celery", extra_env=env).start() for _ in range(2)]
    try:
        with celery_backend():
            return action()
    finally:
        for worker in workers:
            worker.stop()


def _timed_drain(backend: Any) -> list[float]:
    took = []
    while backend.steps:
        item = backend.steps.popleft()
        started = time.perf_counter()
        engine.execute(*item)
        took.append(time.perf_counter() - started)
    return took


def handover_cost(runs: int = 120) -> dict[str, float]:
    """Direct loop, one process: a limited step that completes and hands its place to the next
    queued run, against a plain transition (ms per executed step, p50)."""
    with collecting() as backend:
        start_chains(runs // 10)
        plain = _timed_drain(backend)
        with transaction.atomic():
            for _ in range(runs):
                engine.start("bench_limited", key="direct", hold=0.0)
        for _ in range(runs):  # every first step: 3 take a place, the rest queue
            engine.execute(*backend.steps.popleft())
        handing = _timed_drain(backend)
    return {"plain_ms": pct(plain, 50) * 1000, "handover_ms": pct(handing, 50) * 1000}


def measure(quick: bool) -> dict[str, object]:
    hold = 0.5 if quick else 1.0
    figures: dict[str, object] = {"statements": statements(), "direct": handover_cost()}
    figures["concurrency"] = _with_workers({}, lambda: concurrency(hold))
    log(f"concurrency: {figures['concurrency']}")
    # The same with workers keeping every handed-over step in-process (no broker hop after
    # INLINE_STEP_LIMIT chained steps): shows what the broker round trips cost.
    figures["concurrency_inline"] = _with_workers(
        {"BENCH_INLINE_STEP_LIMIT": "1000"}, lambda: concurrency(hold))
    log(f"concurrency, INLINE_STEP_LIMIT=1000: {figures['concurrency_inline']}")
    figures["rate"] = _with_workers({}, lambda: rate_limit(30.0 if quick else 120.0))
    log(f"rate: {figures['rate']}")
    return figures


def print_tables(f: dict) -> None:
    c, r, s, i = f["concurrency"], f["rate"], f["statements"], f["concurrency_inline"]
    table("Limits (issue 13): 2 workers -c 8, PostgreSQL, Redis broker", [
        "figure", "measured", "bound / baseline", "target"], [
        ["highest concurrency seen per key (limit 3)", f"{c['peak']} ({c['peaks']})", "3",
         "≤ 3"],
        [f"200 runs on 4 keys, {c['hold']:.1f} s hold: completion (s)", f"{c['elapsed']:.2f}",
         f"{c['ideal']:.2f} ideal", f"≤ {c['ideal'] * 1.15:.2f} (+15 %)"],
        ["completion over ideal", f"{(c['elapsed'] / c['ideal'] - 1) * 100:+.1f} %", "", "≤ 15 %"],
        ["… counted from the starts' commit (s)", f"{c['after_commit']:.2f}",
         f"{c['ideal']:.2f} ideal", f"{(c['after_commit'] / c['ideal'] - 1) * 100:+.1f} %"],
        ["first body start → last body end (s)", f"{c['makespan']:.2f}",
         f"{c['ideal']:.2f} ideal", ""],
        ["hand-over: a body's end → the next body's start, p50 / p90 (ms)",
         f"{c['gap_p50'] * 1000:.0f} / {c['gap_p90'] * 1000:.0f}", "", ""],
        ["same, workers with INLINE_STEP_LIMIT=1000: completion (s)", f"{i['elapsed']:.2f}",
         f"{c['ideal']:.2f} ideal", f"{(i['elapsed'] / i['ideal'] - 1) * 100:+.1f} %"],
        ["… its hand-over p50 / p90 (ms), highest concurrency",
         f"{i['gap_p50'] * 1000:.0f} / {i['gap_p90'] * 1000:.0f}, {i['peak']}", "", "≤ 3"],
        [f"entries in {r['window']:.0f} s under a 120/min limit", r["entries"],
         f"{r['expected']:.0f} expected", "± 5 %"],
        ["rate deviation", f"{r['deviation']:+.1f} %", "", "within ± 5 %"],
        ["direct loop, 1 process: limited step completing + hand-over, p50 (ms)",
         f"{f['direct']['handover_ms']:.1f}", f"{f['direct']['plain_ms']:.1f} plain transition",
         ""],
        ["data statements per unlimited transition, workflow without limits",
         f"{s['plain']:.2f}", "", ""],
        ["… the same in a workflow with a limited step", f"{s['mixed_unlimited']:.2f}",
         f"{s['plain']:.2f} without limits", "+0"],
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    setup_django(fresh=True)
    figures = measure(args.quick)
    print_tables(figures)


if __name__ == "__main__":
    main()
