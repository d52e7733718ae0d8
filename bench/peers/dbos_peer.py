"""The DBOS Transact side of the peer comparison. Runs in its own virtualenv (``dbos`` pinned in
``bench/peers/requirements-dbos.txt``), never imports Django, prints one JSON object.

    .venv-bench-dbos/bin/python bench/peers/dbos_peer.py MODE RUNS SIGNALLED DATABASE_URL

MODE is ``many`` (every run started with ``DBOS.start_workflow``: DBOS's thread pool drives
them) or ``serial`` (each workflow called directly, one after another, in this thread). The
workload mirrors ``bench/peers/ours.py``: RUNS workflows of 10 plain steps, durable starts
without execution (enqueued on a queue this process does not listen to), and one message to
each of SIGNALLED runs blocked in ``DBOS.recv``.
"""

from __future__ import annotations

import json
import sys
import threading
import time

import peer_common as common
from dbos import DBOS, DBOSConfig, SendMessage
from sqlalchemy import event
from sqlalchemy.engine import Engine

STEPS = 10
counts = {"data": 0, "control": 0}
waiting = {"n": 0}
lock = threading.Lock()


@event.listens_for(Engine, "before_cursor_execute")
def _count_statement(conn, cursor, statement, parameters, context, executemany):
    counts["data"] += 1


@event.listens_for(Engine, "begin")
def _count_begin(conn):
    counts["control"] += 1


@event.listens_for(Engine, "commit")
def _count_commit(conn):
    counts["control"] += 1


@DBOS.step()
def plain_step(i: int) -> int:
    return i + 1


@DBOS.workflow()
def chain() -> int:
    value = 0
    for _ in range(STEPS):
        value = plain_step(value)
    return value


@DBOS.workflow()
def waiter() -> str:
    with lock:
        waiting["n"] += 1
    message = DBOS.recv("go", timeout_seconds=600)
    plain_step(0)
    return message


def run_many(runs: int) -> None:
    handles = [DBOS.start_workflow(chain) for _ in range(runs)]
    for handle in handles:
        assert handle.get_result() == STEPS


def run_serial(runs: int) -> None:
    for _ in range(runs):
        assert chain() == STEPS


def starts(count: int) -> float:
    parked = DBOS.retrieve_queue("bench_parked")
    with common.stopwatch() as elapsed:
        for _ in range(count):
            parked.enqueue(chain)
    return count / elapsed[0]


def signal(count: int) -> float:
    """Seconds from sending to ``count`` blocked runs until every one finished its step."""
    waiting["n"] = 0
    handles = [DBOS.start_workflow(waiter) for _ in range(count)]
    while waiting["n"] < count:
        time.sleep(0.01)
    time.sleep(0.5)  # let the last ones reach recv()
    with common.stopwatch() as elapsed:
        DBOS.send_bulk([SendMessage(h.get_workflow_id(), "go", "go", None, None)
                        for h in handles])
        for handle in handles:
            assert handle.get_result() == "go"
    return elapsed[0]


def main() -> None:
    mode, runs, signalled, url = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    config: DBOSConfig = {"name": "bench-peer", "system_database_url": url,
                          "log_level": "WARNING"}
    DBOS(config=config)
    DBOS.listen_queues(["bench_listened"])
    DBOS.launch()
    DBOS.register_queue("bench_parked")
    drive = run_many if mode == "many" else run_serial
    drive(20)  # warm up
    result = common.measure_steps(drive, runs, STEPS, counts)
    result["starts"] = starts(runs)
    result["signal_s"] = signal(signalled)
    result["rss_mib"] = common.peak_rss_mib()
    DBOS.destroy()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
