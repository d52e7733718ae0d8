"""Django Tasks tier: ``manage.py db_worker`` processes (django-tasks-db) and the periodic
``workflows tick --every N`` against PostgreSQL, with no Redis and no Celery.

As in the Celery tier, the processes share pytest-django's test database and the tests use
real transactions (``transactional_db``); each test's processes are stopped when it ends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get("DATABASE_URL", "")
SETTINGS = "tests.integration_tasks.settings"

pytest.importorskip("django_tasks_db", reason="the tasks extra is not installed")


@pytest.fixture(scope="session")
def services() -> None:
    if not DATABASE_URL.startswith(("postgres://", "postgresql://")):
        pytest.skip("the tasks tier needs DATABASE_URL pointing at PostgreSQL "
                    "(the database worker shares the test database)")


@pytest.fixture(scope="session")
def process_env(services: None, django_db_setup: Any) -> dict[str, str]:
    from django.db import connection

    parts = urlsplit(DATABASE_URL)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS, "PYTHONPATH": str(ROOT),
           "DATABASE_URL": urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))}
    env.pop("REDIS_URL", None)  # this tier runs without Redis
    return env


class Process:
    """One worker or ticker (its own process group, so a kill reaches all of it)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        with log.open("ab") as out:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "django", *args], cwd=ROOT, env=env, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self, sig: int = signal.SIGKILL, timeout: float = 30) -> None:
        if self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, sig)
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)
        except ProcessLookupError:
            pass


class Cluster:
    """Starts db workers and tickers for one test and stops every one of them afterwards."""

    def __init__(self, env: dict[str, str], logdir: Path) -> None:
        self.env = dict(env)
        self.logdir = logdir
        self.processes: list[Process] = []

    def worker(self, name: str = "w1", queues: str = "django_ai,django_ai_timers") -> Process:
        return self._start(name, ["db_worker", "--queue-name", queues, "--interval", "0.1",
                                  "--no-startup-delay", "--no-reload", "--worker-id",
                                  f"{name}-{uuid.uuid4().hex[:6]}", "-v", "0"])

    def ticker(self, every: float = 1.0, name: str = "tick") -> Process:
        return self._start(name, ["workflows", "tick", "--every", str(every)])

    def _start(self, name: str, args: list[str]) -> Process:
        process = Process(name, args, self.env, self.logdir / f"{name}.log")
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.processes:
            process.kill(signal.SIGTERM, timeout=15)

    def logs(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text()[-3000:]}"
                         for path in sorted(self.logdir.glob("*.log")))


@pytest.fixture
def cluster(process_env: dict[str, str], transactional_db: Any, settings: Any,
            tmp_path: Path) -> Iterator[Cluster]:
    """Processes for one test; the test process enqueues through the tasks backend too."""
    import tests.integration.workflows_integration  # noqa: F401  (registers the workflows)
    from tests.integration_tasks import settings as tier_settings

    settings.DJANGO_AI = dict(tier_settings.DJANGO_AI)
    settings.TASKS = dict(tier_settings.TASKS)
    running = Cluster(process_env, tmp_path)
    try:
        yield running
    finally:
        running.stop_all()


def wait_until(predicate: Any, *, timeout: float, what: str, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
