"""Integration tier: real Celery worker processes (and beat) against PostgreSQL and Redis.

The worker must see what the tests commit, so it is pointed at pytest-django's test database
(same server, the ``test_`` database name) and tests use real transactions (``transactional_db``).
Each session uses its own queue name so stale messages of an earlier session cannot interfere.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
QUEUE = f"django_ai_it_{uuid.uuid4().hex[:8]}"
os.environ["DJANGO_AI_TEST_QUEUE"] = QUEUE  # read by tests.integration.settings below

from tests.integration import settings as integration_settings  # noqa: E402


@pytest.fixture(scope="session")
def services() -> None:
    if not DATABASE_URL.startswith(("postgres://", "postgresql://")):
        pytest.skip("integration tier needs DATABASE_URL pointing at PostgreSQL "
                    "(the Celery worker shares the test database)")
    if not REDIS_URL:
        pytest.skip("integration tier needs REDIS_URL (the Celery broker)")


def _test_database_url(name: str) -> str:
    parts = urlsplit(DATABASE_URL)
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="session")
def worker_env(services: None, django_db_setup: Any) -> Iterator[dict[str, str]]:
    """Environment for worker/beat processes: same test database, broker and queue."""
    from django.db import connection

    from tests.celery_app import app

    app.conf.broker_url = REDIS_URL
    yield {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.integration.settings",
        "DATABASE_URL": _test_database_url(connection.settings_dict["NAME"]),
        "DJANGO_AI_TEST_QUEUE": QUEUE,
        "CELERY_SKIP_CHECKS": "1",
        "PYTHONPATH": str(ROOT),
    }
    _purge_queue(app)


def _purge_queue(app: Any) -> None:
    for _ in range(3):  # the first try may meet a connection from before a Redis restart
        try:
            with app.connection_for_write() as conn:
                conn.default_channel.queue_delete(QUEUE)
                conn.default_channel.queue_delete(f"{QUEUE}_timers")
            return
        except Exception:
            time.sleep(0.5)


def _answers_ping(app: Any, hostname: str) -> bool:
    try:
        return bool(app.control.ping(destination=[hostname], timeout=0.5))
    except Exception:  # a pooled connection from before a Redis restart: the next try redials
        return False


class Service:
    """One worker or beat process (its own process group, so a kill reaches its children)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.args = args
        self.log = log
        self.killed = False
        with log.open("ab") as out:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "tests.celery_app", *args],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )

    def kill(self, sig: int = signal.SIGKILL, timeout: float = 30) -> None:
        self.killed = True
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

    def stop(self) -> None:
        self.kill(signal.SIGTERM)
        # Reap children a warm shutdown might leave behind.
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Cluster:
    """Starts workers and beat for one test, and stops every one of them afterwards."""

    def __init__(self, env: dict[str, str], logdir: Path) -> None:
        self.env = env
        self.logdir = logdir
        self.services: list[Service] = []

    def worker(self, name: str = "w1", concurrency: int = 2,
               env: dict[str, str] | None = None) -> Service:
        """A worker process; ``env`` adds variables (e.g. to run older workflow code)."""
        from tests.celery_app import app

        hostname = f"{name}-{uuid.uuid4().hex[:6]}@localhost"
        service = self._start(name, [
            "worker", "-Q", QUEUE, "-c", str(concurrency), "-n", hostname, "-l", "WARNING",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ], env)
        wait_until(lambda: _answers_ping(app, hostname), timeout=60,
                   what=f"worker {name} to answer a ping", service=service)
        return service

    def beat(self) -> Service:
        schedule = self.logdir / f"beat-{uuid.uuid4().hex[:6]}"
        return self._start("beat", ["beat", "-l", "WARNING", "-s", str(schedule),
                                    "--max-interval", "1"])

    def _start(self, name: str, args: list[str], env: dict[str, str] | None = None) -> Service:
        service = Service(name, args, {**self.env, **(env or {})}, self.logdir / f"{name}.log")
        service.extra_env = env
        self.services.append(service)
        return service

    def revive(self) -> None:
        """Restart services that exited on their own, as a process supervisor would (a Celery
        worker can exit when the broker vanishes under it: a known kombu/redis-py race)."""
        for service in list(self.services):
            if service.popen.poll() is not None and not service.killed:
                service.killed = True
                self._start(service.name, service.args, service.extra_env)

    def stop_all(self) -> None:
        for service in self.services:
            service.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text()[-3000:]}"
                         for path in sorted(self.logdir.glob("*.log")))


@pytest.fixture
def cluster(worker_env: dict[str, str], transactional_db: Any, settings: Any,
            tmp_path: Path) -> Iterator[Cluster]:
    """Workers/beat for one test; the test process sends through the Celery backend too."""
    import tests.integration.workflows_integration  # noqa: F401  (registers the workflows)

    settings.DJANGO_AI = dict(integration_settings.DJANGO_AI)
    running = Cluster(worker_env, tmp_path)
    try:
        yield running
    finally:
        running.stop_all()
        from tests.celery_app import app

        _purge_queue(app)


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str,
               interval: float = 0.2, service: Service | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if service is not None and service.popen.poll() is not None:
            raise AssertionError(f"{service.name} exited while waiting for {what}:\n"
                                 f"{service.log.read_text()[-3000:]}")
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
