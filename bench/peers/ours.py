"""This project's side of the peer comparison, in a process of its own (so its peak RSS is its
own), printing one JSON object. Same workload as ``dbos_peer.py``.

    python bench/peers/ours.py MODE RUNS SIGNALLED      (PYTHONPATH=repository root)

MODE ``many``: RUNS runs of the 10-step ``bench_chain`` started together (``start_many``)
and driven by this one process: deliveries are collected and executed by THREADS threads, as
DBOS drives its runs from a thread pool. ``serial``: the immediate backend, ``engine.start`` of
one run after another, each run's steps executed inside the call. Starts: ``engine.start`` with
no worker (one INSERT, the hand-off collected). Signal: one ``engine.signal`` to SIGNALLED
suspended runs, until every resumed step has run (on the threads, in both modes).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

import peer_common as common
from django.db import connection

import bench  # noqa: F401  (configures Django)
from bench import populate
from bench.collect import CollectingBackend
from bench.engine_direct import TRANSACTION_CONTROL, capture
from django_ai.automation.workflows.backends import set_backend_override
from django_ai.automation.workflows.backends.immediate import ImmediateBackend
from django_ai.automation.workflows.core import engine

STEPS = 10
THREADS = int(os.environ.get("BENCH_PEER_THREADS", "24"))


def drain_threaded(backend: CollectingBackend, expected: int) -> None:
    """Execute collected deliveries (and those they lead to) on THREADS threads, each with its
    own database connection, until ``expected`` steps have run: the engine's equivalent of
    DBOS's thread pool (and of a Celery worker with ``-P threads``)."""
    done = [0]
    lock = threading.Lock()

    def work() -> None:
        try:
            while done[0] < expected:
                try:
                    delivery = backend.steps.popleft()
                except IndexError:
                    time.sleep(0.0005)
                    continue
                executed = engine.execute(*delivery)
                with lock:
                    done[0] += executed
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run_many(runs: int) -> None:
    backend = CollectingBackend()
    set_backend_override(backend)
    engine.start_many("bench_chain", [{} for _ in range(runs)])
    drain_threaded(backend, runs * STEPS)
    set_backend_override(None)


def run_many_one_thread(runs: int) -> None:
    """``run_many`` with the deliveries executed in this thread: the query log sees them all."""
    backend = CollectingBackend()
    set_backend_override(backend)
    engine.start_many("bench_chain", [{} for _ in range(runs)])
    assert backend.drain() == runs * STEPS
    set_backend_override(None)


def run_serial(runs: int) -> None:
    set_backend_override(ImmediateBackend())
    for _ in range(runs):
        assert engine.start("bench_chain").status == "completed"
    set_backend_override(None)


def statements(drive, runs: int) -> tuple[float, float]:
    """(data, all) statements per step, counted on a separate pass (the query log slows the
    timed one)."""
    with capture() as captured:
        drive(runs)
    sql = [q["sql"].upper() for q in captured.captured_queries]
    data = sum(1 for text in sql if not text.startswith(TRANSACTION_CONTROL))
    return data / (runs * STEPS), len(sql) / (runs * STEPS)


def starts(count: int) -> float:
    backend = CollectingBackend()
    set_backend_override(backend)
    with common.stopwatch() as elapsed:
        for _ in range(count):
            engine.start("bench_chain")
    set_backend_override(None)
    return count / elapsed[0]


def signal(count: int) -> float:
    """The resumed steps run on the threads in both modes: DBOS too runs its waiting runs
    (blocked in ``recv``, so necessarily started in the background) on its thread pool."""
    backend = CollectingBackend()
    set_backend_override(backend)
    engine.start_many("bench_signal", [{} for _ in range(count)])
    backend.drain()  # every run now waits for the signal
    with common.stopwatch() as elapsed:
        assert engine.signal("bench-go") == count
        drain_threaded(backend, count)
    set_backend_override(None)
    return elapsed[0]


def main() -> None:
    mode, runs, signalled = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    first = populate.last_id()
    drive = run_many if mode == "many" else run_serial
    drive(20)  # warm up
    result = common.measure_steps(drive, runs, STEPS, {})
    result["stmts_data"], result["stmts_all"] = statements(
        run_many_one_thread if mode == "many" else run_serial, 20)
    result["starts"] = starts(runs)
    result["signal_s"] = signal(signalled)
    result["rss_mib"] = common.peak_rss_mib()
    # Leave the shared bench tables as found: runs left RUNNING would look lost to a later tick.
    populate.delete_runs("id > %s", [first])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
