"""Engine figures without a broker: hand-offs are collected and executed by a loop calling
``engine.execute`` in this process, so the figures are the engine's own cost.

    python -m bench.engine_direct [--quick]
"""

from __future__ import annotations

import argparse
import itertools
from contextlib import contextmanager

from django.db import connection, reset_queries, transaction
from django.test.utils import CaptureQueriesContext

from django_ai.automation.workflows.backends import set_backend_override
from django_ai.automation.workflows.core import engine

from . import floor_ratio, populate
from .benchapp.workflows import CHAIN_STEPS
from .collect import CollectingBackend
from .common import log, rate, setup_django, stopwatch, table

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")


@contextmanager
def collecting():
    backend = CollectingBackend()
    set_backend_override(backend)
    try:
        yield backend
    finally:
        set_backend_override(None)


@contextmanager
def capture():
    """CaptureQueriesContext on a fresh query log (the log is a bounded deque: once it wraps,
    a capture's slice of it is wrong)."""
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        yield captured


def data_statements(captured: CaptureQueriesContext) -> int:
    return sum(1 for q in captured.captured_queries
               if not q["sql"].upper().startswith(TRANSACTION_CONTROL))


def start_chains(count: int) -> None:
    with transaction.atomic():
        for _ in range(count):
            engine.start("bench_chain")


def transitions(backend: CollectingBackend, runs: int) -> float:
    """``runs`` chains started in one transaction, then every step executed: transitions/s."""
    start_chains(runs)
    with stopwatch() as elapsed:
        executed = backend.drain()
    assert executed == runs * CHAIN_STEPS, executed
    return rate(executed, elapsed[0])


def queries_per_transition(backend: CollectingBackend, runs: int = 50) -> tuple[float, float]:
    """(data statements, all statements incl. BEGIN/COMMIT) per executed step."""
    start_chains(runs)
    with capture() as captured:
        executed = backend.drain()
    return data_statements(captured) / executed, len(captured.captured_queries) / executed


def round_trips_per_transition(backend: CollectingBackend, runs: int = 20) -> float:
    """Client/server round trips per executed step, from a libpq trace of the connection:
    each time the client sends and then reads the server's answer is one round trip (a BEGIN
    that psycopg sends before the lock is one, whatever Django's query log shows)."""
    import tempfile

    from psycopg import pq

    start_chains(runs)
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    with tempfile.TemporaryFile("w+") as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        try:
            executed = backend.drain()
        finally:
            pgconn.untrace()
        trace.seek(0)
        directions = [line.split("\t", 1)[0] for line in trace if line[:1] in "FB"]
    trips = sum(1 for before, after in itertools.pairwise(directions)
                if (before, after) == ("F", "B"))
    return trips / executed


def starts(backend: CollectingBackend, count: int) -> float:
    """``engine.start`` calls/s, each in its own transaction as a view would make them."""
    first = populate.last_id()
    with stopwatch() as elapsed:
        for _ in range(count):
            engine.start("bench_chain")
    backend.clear()  # not executed: removed, so they do not linger as RUNNING
    populate.delete_runs("id > %s", [first])
    return rate(count, elapsed[0])


def starts_old_way(backend: CollectingBackend, count: int) -> float:
    """``engine.start`` as it was before issue 15: its own transaction (BEGIN, INSERT, COMMIT).
    The same calls inside ``transaction.atomic()`` do exactly that now, so old and new are
    measured side by side in one run."""
    first = populate.last_id()
    with stopwatch() as elapsed:
        for _ in range(count):
            with transaction.atomic():
                engine.start("bench_chain")
    backend.clear()
    populate.delete_runs("id > %s", [first])
    return rate(count, elapsed[0])


def starts_many(backend: CollectingBackend, count: int) -> tuple[float, int]:
    """``engine.start_many`` of ``count`` runs: (runs/s into the database, statements)."""
    first = populate.last_id()
    kwargs = [{} for _ in range(count)]
    with capture() as captured, stopwatch() as elapsed:
        engine.start_many("bench_chain", kwargs)
    backend.clear()
    populate.delete_runs("id > %s", [first])
    return rate(count, elapsed[0]), len(captured.captured_queries)


def fanout(backend: CollectingBackend, waiting: int) -> tuple[float, int, int]:
    """One ``engine.signal`` resuming ``waiting`` runs: (seconds, statements, resumed)."""
    populate.add_signal_waiters(waiting)
    populate.analyze()
    with capture() as captured, stopwatch() as elapsed:
        resumed = engine.signal("bench-go", {"started": 0.0})
    assert resumed == waiting == len(backend.steps), (resumed, waiting, len(backend.steps))
    backend.clear()
    populate.delete_runs("name = %s", ["bench_signal"])
    return elapsed[0], data_statements(captured), resumed


def timers(backend: CollectingBackend, due: int) -> tuple[float, int]:
    """``engine.tick()`` firing ``due`` timers: (timers fired/s, statements)."""
    first = populate.last_id()
    populate.add_due_sleepers(due)
    with capture() as captured, stopwatch() as elapsed:
        fired = engine.tick()
    assert fired >= due, fired
    backend.clear()  # the woken runs are not executed: removed
    populate.delete_runs("id > %s", [first])
    return rate(fired, elapsed[0]), data_statements(captured)


def measure(quick: bool) -> dict[str, float]:
    runs = 200 if quick else 1000
    waiting = 2000 if quick else 10000
    with collecting() as backend:
        transitions(backend, 50)  # warm up
        # Best of two: other processes on a small machine only ever make a round slower.
        results: dict[str, float] = {
            "transitions": max(transitions(backend, runs) for _ in range(1 if quick else 2))
        }
        populate.delete_runs("name = %s AND created_at > now() - interval '1 minute'",
                             ["bench_chain"])
        results.update(floor_ratio.measure(backend, start_chains, quick))
        results["q_data"], results["q_all"] = queries_per_transition(backend)
        results["round_trips"] = round_trips_per_transition(backend)
        # Old and new alternately, best of two each (load on the machine only slows a round).
        old, new = [], []
        for _ in range(2):
            old.append(starts_old_way(backend, runs))
            new.append(starts(backend, runs))
        results["starts_old"], results["starts"] = max(old), max(new)
        results["start_many"], results["start_many_q"] = max(
            starts_many(backend, 2000 if quick else 10000) for _ in range(2))
        results["fanout_s"], results["fanout_q"], results["fanout_n"] = fanout(backend, waiting)
        results["timers"], results["timers_q"] = timers(backend, 500 if quick else 2000)
    # The chains just run would add to the growth level's finished runs: remove them.
    populate.delete_runs("name = %s AND created_at > now() - interval '1 minute'",
                         ["bench_chain"])
    log(f"engine direct: {results}")
    return results


ROWS = [
    ("transitions/s (1,000 runs × 10 steps, engine.execute loop)", "transitions"),
    ("interleaved with the raw psycopg floor: engine / floor tx/s (ratio)", "interleaved"),
    ("SQL statements per transition (without / with BEGIN+COMMIT)", "queries"),
    ("round trips to PostgreSQL per transition (libpq trace)", "round_trips"),
    ("engine.start calls/s (one INSERT, autocommit)", "starts"),
    ("engine.start calls/s the old way (own transaction: BEGIN, INSERT, COMMIT)", "starts_old"),
    ("engine.start_many runs/s into the database (statements)", "start_many"),
    ("signal fan-out: seconds / statements / runs resumed", "fanout"),
    ("due timers fired by tick()/s (statements)", "timers"),
]


def cell(r: dict[str, float], key: str) -> str:
    if key == "queries":
        return f"{r['q_data']:.2f} / {r['q_all']:.2f}"
    if key == "fanout":
        return f"{r['fanout_s']:.2f} s / {r['fanout_q']:.0f} / {r['fanout_n']:,.0f}"
    if key == "start_many":
        return f"{r['start_many']:,.0f} ({r['start_many_q']:.0f})"
    if key == "timers":
        return f"{r['timers']:,.0f} ({r['timers_q']:.0f})"
    if key == "interleaved":
        return (f"{r['il_engine']:,.0f} / {r['il_floor']:,.0f} "
                f"({r['il_engine'] / r['il_floor']:.0%})")
    if key == "round_trips":
        return f"{r[key]:.2f}"
    return f"{r[key]:,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    setup_django(fresh=True)
    r = measure(args.quick)
    table("Engine, direct engine.execute loop (no broker)", ["figure", "value"],
          [[label, cell(r, key)] for label, key in ROWS])


if __name__ == "__main__":
    main()
