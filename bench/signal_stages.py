"""``engine.signal`` to many waiting runs, the grouped path (``engine/fastsignal.py``) against
the per-instance path (``engine/resuming.py``), alternated in one process, with the time of
each stage. Collecting backend: the hand-off is collected, not published; with ``--celery``
the call includes publishing the messages to the bench broker (no worker runs them: they
are purged after each call); with ``--workers`` a Celery worker (-c 2) runs the resumed
steps meanwhile, as in ``bench.engine_workers``, and each call is followed by the time until
every resumed step has run.

    python -m bench.signal_stages [--runs 10000] [--rounds 3] [--celery | --workers]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django_ai.automation.workflows.backends import celery
from django_ai.automation.workflows.backends.celery import CeleryBackend
from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.engine import fastsignal, resuming, waking

from . import populate
from .common import median, setup_django, table
from .engine_direct import capture, collecting, data_statements
from .engine_workers import celery_backend, wait_done
from .worker import Worker, purge

_PUBLISHING = (CeleryBackend, "deliver_many", "publishing (Celery backend only)")
_STAGES = {
    "old": [(waking, "_locked_batches", "lock and load instances"),
            (resuming, "prepare", "prepare (pydantic per run)"),
            (resuming, "apply", "apply (advance, group, UPDATE, INSERT)"), _PUBLISHING],
    "new": [(fastsignal, "locked_batches", "lock narrow rows"),
            (fastsignal, "_plan", "plan (pydantic per group)"),
            (fastsignal, "_through_resuming", "slow-path runs"),
            (fastsignal, "_write", "INSERT+UPDATE per group"), _PUBLISHING],
}


def _timed(function: Callable[..., Any], spent: dict[str, float], label: str) -> Callable:
    def call(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] += time.perf_counter() - start

    def generate(*args: Any, **kwargs: Any) -> Iterator[Any]:
        items = function(*args, **kwargs)
        while True:
            start = time.perf_counter()
            try:
                item = next(items)
            except StopIteration:
                return
            finally:
                spent[label] += time.perf_counter() - start
            yield item

    return generate if "batches" in function.__name__ else call


@contextmanager
def _stages(path: str, spent: dict[str, float]) -> Iterator[None]:
    saved = [(module, name, getattr(module, name)) for module, name, _ in _STAGES[path]]
    for module, name, label in _STAGES[path]:
        setattr(module, name, _timed(getattr(module, name), spent, label))
    try:
        yield
    finally:
        for module, name, function in saved:
            setattr(module, name, function)


class _Published:
    """Stands in for the collecting backend when Celery publishes the hand-off."""

    steps: list[Any] = []

    def __init__(self, worker: bool) -> None:
        self.worker = worker  # a worker runs the steps: wait for them before going on

    def clear(self) -> None:
        if not self.worker:
            purge()


@contextmanager
def _backend(mode: str) -> Iterator[Any]:
    if mode == "collecting":
        with collecting() as backend:
            yield backend
        return
    purge()
    with celery_backend():
        if mode == "celery":
            yield _Published(worker=False)
        else:
            with Worker(concurrency=2):
                yield _Published(worker=True)
    purge()


def _old_argsrepr(deliveries: Any) -> None:
    return None  # Celery's own saferepr of every delivery, as before the short summary


Call = tuple[float, int, dict[str, float], float]


def one_call(backend: Any, runs: int, path: str) -> Call:
    """Seconds in ``engine.signal``, its data statements, the seconds per stage, and (with a
    worker) the seconds from the call until every resumed step has run, else NaN. The old path
    is the code before issue 15 point 3's last changes, Celery's ``argsrepr`` included."""
    first = populate.last_id()
    populate.add_signal_waiters(runs)
    populate.analyze()
    fastsignal.ENABLED = path == "new"
    short_repr = celery.batch_repr
    if path == "old":
        celery.batch_repr = _old_argsrepr
    spent: dict[str, float] = defaultdict(float)
    try:
        with _stages(path, spent), capture() as captured:
            start = time.perf_counter()
            resumed = engine.signal("bench-go", {"started": 0.0})
            seconds = time.perf_counter() - start
    finally:
        fastsignal.ENABLED = True
        celery.batch_repr = short_repr
    published = isinstance(backend, _Published)
    assert resumed == runs == (runs if published else len(backend.steps)), (resumed, runs)
    total = float("nan")
    if getattr(backend, "worker", False):
        wait_done("bench_signal", first, runs)
        total = time.perf_counter() - start
    backend.clear()
    populate.delete_runs("name = %s", ["bench_signal"])
    spent["the rest (commit, ...)"] = seconds - sum(spent.values())
    return seconds, data_statements(captured), spent, total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--celery", action="store_true", help="publish with the Celery backend")
    parser.add_argument("--workers", action="store_true", help="and run the steps meanwhile")
    args = parser.parse_args()
    mode = "workers" if args.workers else "celery" if args.celery else "collecting"
    setup_django(fresh=True)
    calls: dict[str, list[Call]] = defaultdict(list)
    with _backend(mode) as backend:
        one_call(backend, 100, "new")  # warm up both paths (imports, cached SQL)
        one_call(backend, 100, "old")
        for _ in range(args.rounds):
            for path in ("old", "new"):
                calls[path].append(one_call(backend, args.runs, path))
    rows = []
    for path in ("old", "new"):
        seconds = [call[0] for call in calls[path]]
        rows.append([path, min(seconds), median(seconds), max(seconds), calls[path][0][1],
                     median([call[3] for call in calls[path]])])
    how = {"collecting": "collecting backend", "celery": "Celery backend, no worker",
           "workers": "Celery backend, a worker -c 2 running the resumed steps"}[mode]
    table(f"engine.signal to {args.runs:,} waiting runs ({how}), {args.rounds} calls each, "
          "alternated",
          ["path", "best s", "median s", "worst s", "statements",
           "all steps done s (median)"], rows)
    for path in ("old", "new"):
        labels = list(calls[path][0][2])
        table(f"stages, {path} path (median s)", ["stage", "seconds"],
              [[label, median([call[2][label] for call in calls[path]])] for label in labels])


if __name__ == "__main__":
    main()
