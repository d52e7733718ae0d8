"""Engine figures with the Celery backend: real worker processes, Redis broker, PostgreSQL.

    python -m bench.engine_workers [--quick]
"""

from __future__ import annotations

import argparse
import time
from contextlib import contextmanager

from django.db import transaction

from django_ai.automation.workflows.backends import set_backend_override
from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowRun, WorkflowStatus

from . import populate
from .benchapp.workflows import CHAIN_STEPS
from .common import log, pct, rate, setup_django, stopwatch, table
from .worker import Worker, purge


@contextmanager
def celery_backend():
    from django_ai.automation.workflows.backends.celery import CeleryBackend

    from . import workerapp  # noqa: F401  (binds the package's tasks to the bench app)

    set_backend_override(CeleryBackend())
    try:
        yield
    finally:
        set_backend_override(None)


def _last_id() -> int:
    return WorkflowRun.objects.order_by("-id").values_list("id", flat=True).first() or 0


def wait_done(name: str, after_id: int, count: int, timeout: float = 600) -> None:
    """Poll until ``count`` runs of ``name`` with id > ``after_id`` have completed."""
    runs = WorkflowRun.objects.filter(name=name, id__gt=after_id, status=WorkflowStatus.COMPLETED)
    deadline = time.monotonic() + timeout
    while (done := runs.count()) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {done} of {count} {name} runs completed in {timeout} s")
        time.sleep(0.02)


def chain_throughput(runs: int) -> float:
    """``runs`` 10-step chains started in one transaction, until all complete: transitions/s."""
    first = _last_id()
    with stopwatch() as elapsed:
        with transaction.atomic():
            for _ in range(runs):
                engine.start("bench_chain")
        wait_done("bench_chain", first, runs)
    return rate(runs * CHAIN_STEPS, elapsed[0])


def start_rate(count: int) -> float:
    """``engine.start`` calls/s from a view-like caller (own transaction, publish on commit)."""
    first = _last_id()
    with stopwatch() as elapsed:
        for _ in range(count):
            engine.start("bench_chain")
    wait_done("bench_chain", first, count)
    return rate(count, elapsed[0])


def start_rate_idle(count: int) -> float:
    """``engine.start`` calls/s with no worker running: the caller's own cost (insert, commit,
    publish). The messages are purged and the runs deleted afterwards."""
    first = _last_id()
    with stopwatch() as elapsed:
        for _ in range(count):
            engine.start("bench_chain")
    purge()
    populate.delete_runs("id > %s", [first])
    return rate(count, elapsed[0])


def fanout(waiting: int) -> tuple[float, float]:
    """``engine.signal`` to ``waiting`` runs: (seconds in the call incl. publishing,
    seconds until every resumed step has run)."""
    first = _last_id()
    populate.add_signal_waiters(waiting)
    populate.analyze()
    with stopwatch() as total:
        with stopwatch() as call:
            engine.signal("bench-go")
        wait_done("bench_signal", first, waiting, timeout=600)
    return call[0], total[0]


def signal_latency(count: int, spacing: float = 0.01) -> list[float]:
    """ms from calling ``engine.signal(run_id=...)`` to the resumed step starting."""
    first = _last_id()
    populate.add_signal_waiters(count, signal="bench-one")
    ids = list(WorkflowRun.objects.filter(id__gt=first).values_list("id", flat=True))
    sent: dict[int, float] = {}
    for run_id in ids:
        sent[run_id] = time.time()
        engine.signal("bench-one", run_id=run_id)
        time.sleep(spacing)
    wait_done("bench_signal", first, count)
    started = WorkflowRun.objects.filter(id__in=ids).values_list("id", "data")
    return [(data["started"] - sent[run_id]) * 1000 for run_id, data in started]


def timer_lateness(count: int, spacing: float = 0.02) -> list[float]:
    """ms between a one-second sleep falling due and the step starting again. Starts are
    spread (50/s) so that timers are measured, not a queue the starts themselves build up."""
    first = _last_id()
    for _ in range(count):
        engine.start("bench_sleep")
        time.sleep(spacing)
    wait_done("bench_sleep", first, count, timeout=300)
    rows = WorkflowRun.objects.filter(id__gt=first, name="bench_sleep").values_list("data",
                                                                                     flat=True)
    return [(data["started"] - data["due"]) * 1000 for data in rows]


def cleanup() -> None:
    """Remove this phase's runs so the growth level keeps its intended contents."""
    populate.delete_runs("created_at > now() - interval '1 hour' AND status = %s",
                         [WorkflowStatus.COMPLETED])


def measure(quick: bool, variants: bool = False) -> dict[str, float]:
    runs = 200 if quick else 1000
    r: dict[str, float] = {}
    purge()
    with celery_backend():
        r["w_starts_idle"] = start_rate_idle(runs)
        with Worker(concurrency=2) as worker:
            chain_throughput(50)  # warm up
            # Best of two: other processes on a small machine only ever make a round slower.
            r["w_transitions"] = max(chain_throughput(runs) for _ in range(1 if quick else 2))
            r["w_starts"] = start_rate(runs)
            r["w_fanout_call"], r["w_fanout_total"] = fanout(2000 if quick else 10000)
            r["w_fanout_n"] = 2000 if quick else 10000
            r["w_fanout_rate"] = r["w_fanout_n"] / r["w_fanout_total"]
            latency = signal_latency(100 if quick else 500)
            r["w_sig_p50"], r["w_sig_p99"] = pct(latency, 50), pct(latency, 99)
            lateness = timer_lateness(100 if quick else 500)
            r["w_timer_p50"], r["w_timer_p99"] = pct(lateness, 50), pct(lateness, 99)
            r["w_rss_max"], r["w_rss_total"] = worker.peak_rss_mib()
        cleanup()
        with Worker(concurrency=2), Worker(concurrency=2):
            chain_throughput(50)
            r["w_transitions_2w"] = max(chain_throughput(runs) for _ in range(1 if quick else 2))
        if variants:
            with Worker(concurrency=2, extra_env={"BENCH_INLINE_STEP_LIMIT": "1"}):
                chain_throughput(50)
                r["w_transitions_noinline"] = chain_throughput(runs)
            with Worker(concurrency=2, extra_env={"BENCH_DB_REUSE": "0"}):
                chain_throughput(50)
                r["w_transitions_noreuse"] = chain_throughput(runs)
        cleanup()
    log(f"engine with Celery: {r}")
    return r


ROWS = [
    ("transitions/s, 1 worker -c 2 (1,000 runs × 10 steps)", "w_transitions"),
    ("transitions/s, 2 workers -c 2", "w_transitions_2w"),
    ("transitions/s, 1 worker, INLINE_STEP_LIMIT=1 (a broker trip per step)",
     "w_transitions_noinline"),
    ("transitions/s, 1 worker, connection closed after each task (Celery default)",
     "w_transitions_noreuse"),
    ("engine.start calls/s (view-like, publish on commit), no worker running", "w_starts_idle"),
    ("engine.start calls/s while the worker runs the started chains", "w_starts"),
    ("signal fan-out: call s / all resumed steps done s / runs", "fanout"),
    ("signal → resumed step start p50 / p99 (ms)", "sig"),
    ("timer lateness, 1 s sleeps, p50 / p99 (ms)", "timer"),
    ("worker peak RSS, largest process / total (MiB)", "rss"),
]


def cell(r: dict[str, float], key: str) -> str:
    if key == "fanout":
        return f"{r['w_fanout_call']:.2f} / {r['w_fanout_total']:.2f} / {r['w_fanout_n']:,.0f}"
    if key in ("sig", "timer"):
        return f"{r[f'w_{key}_p50']:.1f} / {r[f'w_{key}_p99']:.1f}"
    if key == "rss":
        return f"{r['w_rss_max']:.0f} / {r['w_rss_total']:.0f}"
    return f"{r[key]:,.0f}" if key in r else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--variants", action="store_true",
                        help="also measure without inline steps and without connection reuse")
    args = parser.parse_args()
    setup_django(fresh=True)
    r = measure(args.quick, args.variants)
    table("Engine with the Celery backend", ["figure", "value"],
          [[label, cell(r, key)] for label, key in ROWS])


if __name__ == "__main__":
    main()
