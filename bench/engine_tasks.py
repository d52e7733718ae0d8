"""Engine figures with the Django Tasks backend: ``db_worker`` processes of django-tasks-db
polling a table in the same PostgreSQL database; no broker.

    python -m bench.engine_tasks [--quick]

Two worker processes stand beside Celery's one worker with two pool processes. A worker that
finds no task sleeps ``--interval`` seconds (``POLL_INTERVAL`` here) before looking again,
which bounds the latency of a hand-off to an idle worker.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from django_ai.automation.workflows.backends import set_backend_override

from .common import log, pct, setup_django, table
from .engine_workers import chain_throughput, cleanup, signal_latency, start_rate, timer_lateness
from .worker import LOG_DIR, ROOT

POLL_INTERVAL = 0.05


def available() -> bool:
    return importlib.util.find_spec("django_tasks_db") is not None


class TaskWorker:
    """``manage.py db_worker`` as a child process of its own process group."""

    def __init__(self, extra_env: dict[str, str] | None = None) -> None:
        self.name = f"bench-tasks-{uuid.uuid4().hex[:8]}"
        self.env = {**os.environ, "BENCH_BACKEND": "tasks", "PYTHONPATH": str(ROOT),
                    "DJANGO_SETTINGS_MODULE": "bench.settings", **(extra_env or {})}
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> TaskWorker:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        with (LOG_DIR / f"{self.name}.log").open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "django", "db_worker", "--queue-name", "django_ai",
                 "--interval", str(POLL_INTERVAL), "--no-startup-delay", "--no-reload",
                 "--worker-id", self.name, "-v", "0"],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        time.sleep(1.5)  # Django start-up; the first measurement is a warm-up anyway
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


@contextmanager
def workers(count: int, **env: str) -> Iterator[None]:
    with ExitStack() as stack:
        for _ in range(count):
            stack.enter_context(TaskWorker(env))
        yield


@contextmanager
def tasks_backend() -> Iterator[None]:
    from django_ai.automation.workflows.backends.tasks import TasksBackend

    set_backend_override(TasksBackend())
    try:
        yield
    finally:
        set_backend_override(None)


def purge() -> None:
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()


def measure(quick: bool, variants: bool = False) -> dict[str, float]:
    runs = 200 if quick else 1000
    r: dict[str, float] = {}
    purge()
    with tasks_backend():
        with workers(2):
            chain_throughput(50)  # warm up
            r["t_transitions"] = max(chain_throughput(runs) for _ in range(1 if quick else 2))
            r["t_starts"] = start_rate(runs)
            latency = signal_latency(100 if quick else 500)
            r["t_sig_p50"], r["t_sig_p99"] = pct(latency, 50), pct(latency, 99)
            lateness = timer_lateness(100 if quick else 500)
            r["t_timer_p50"], r["t_timer_p99"] = pct(lateness, 50), pct(lateness, 99)
        cleanup()
        if variants:
            with workers(2, BENCH_INLINE_STEP_LIMIT="1"):
                chain_throughput(50)
                r["t_transitions_noinline"] = chain_throughput(runs)
            cleanup()
    purge()
    log(f"engine with Django Tasks: {r}")
    return r


ROWS = [
    ("transitions/s, 2 workers (1,000 runs × 10 steps)", "t_transitions"),
    ("transitions/s, 2 workers, INLINE_STEP_LIMIT=1 (a queue trip per step)",
     "t_transitions_noinline"),
    ("engine.start calls/s while the workers run the started chains", "t_starts"),
    ("signal → resumed step start p50 / p99 (ms)", "sig"),
    ("timer lateness, 1 s sleeps, p50 / p99 (ms)", "timer"),
]


def cell(r: dict[str, float], key: str) -> str:
    if key in ("sig", "timer"):
        return f"{r[f't_{key}_p50']:.1f} / {r[f't_{key}_p99']:.1f}"
    return f"{r[key]:,.0f}" if key in r else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--variants", action="store_true",
                        help="also measure without in-process chaining of steps")
    args = parser.parse_args()
    if not available():
        raise SystemExit('bench.engine_tasks needs the tasks extra: pip install -e ".[tasks]"')
    setup_django(fresh=True)
    r = measure(args.quick, args.variants)
    table("Engine with the Django Tasks backend (django-tasks-db, 2 db_worker processes)",
          ["figure", "value"], [[label, cell(r, key)] for label, key in ROWS])


if __name__ == "__main__":
    main()
