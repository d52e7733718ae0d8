"""SPEC section 7 against real services: Celery workers, beat, PostgreSQL and Redis."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

pytest.importorskip("celery", reason="the celery extra is not installed")
from django.db import connection
from django.utils import timezone

from django_ai.automation.workflows import tasks
from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowRun, WorkflowStatus
from tests.testapp.models import Ledger

from .conftest import QUEUE, REDIS_URL, wait_until
from .lateness import assert_no_duplicate_history
from .runs import (
    all_finished,
    assert_runs,
    open_step_transactions,
    start_many,
    suspended,
    unfinished,
)

pytestmark = pytest.mark.integration





def wait_finished(ids: list[int], timeout: float, cluster=None) -> None:
    def done() -> bool:
        if cluster is not None:
            cluster.revive()
        return all_finished(ids)

    try:
        wait_until(done, timeout=timeout, what=f"{len(ids)} runs to finish")
    except AssertionError:
        raise AssertionError(f"runs still unfinished after {timeout}s: {unfinished(ids)}")


def test_two_hundred_mixed_runs(cluster):
    cluster.worker()
    cluster.beat()
    linear = start_many("it_linear", 40)
    sleepers = start_many("it_sleeper", 40, seconds=1.0)
    answered = start_many("it_signal", 30) + start_many("it_signal", 20, timeout=60.0)
    expired = start_many("it_signal", 30, timeout=1.0)
    flaky = start_many("it_flaky", 20)
    parents = start_many("it_parent", 20)

    wait_until(lambda: suspended(answered), timeout=60, what="signal runs to suspend")
    for run_id in answered:
        assert engine.signal("it_answer", {"answer": "yes"}, run_id=run_id) == 1
    everything = linear + sleepers + answered + expired + flaky + parents
    assert len(everything) == 200
    wait_finished(everything, timeout=180)

    assert_runs(linear, ["one", "two", "three"], "linear")
    assert_runs(sleepers, ["nap", "after"], "woke")
    assert_runs(answered, ["ask", "answered"], "answered")
    assert_runs(expired, ["ask", "expired"], "expired")
    assert_runs(flaky, ["attempt"], "attempt")  # failed attempts rolled back their rows
    assert_runs(parents, ["spawn", "joined"], None)
    assert all(WorkflowRun.objects.get(pk=pk).data["answer"] == "yes" for pk in answered)
    assert all(WorkflowRun.objects.get(pk=pk).data["timed_out"] for pk in expired)
    assert all(WorkflowRun.objects.get(pk=pk).data["child_status"] == "completed"
               for pk in parents)
    middles = list(WorkflowRun.objects.filter(parent_run_id__in=parents).values_list("pk",
                                                                                  flat=True))
    leaves = list(WorkflowRun.objects.filter(parent_run_id__in=middles).values_list("pk",
                                                                                 flat=True))
    assert len(middles) == len(leaves) == 20
    assert_runs(middles, ["spawn", "joined"], None)
    assert_runs(leaves, ["leaf"], "leaf")
    assert_no_duplicate_history()




def test_sigkill_mid_step_then_new_worker(cluster):
    doomed = cluster.worker("doomed")
    slow = start_many("it_slow", 8, seconds=1.0)
    linear = start_many("it_linear", 20)
    wait_until(lambda: open_step_transactions() > 0, timeout=30, interval=0.05,
               what="a step to be mid-body")
    doomed.kill(signal.SIGKILL)
    assert Ledger.objects.filter(note="slow").count() < len(slow)  # some work was cut short

    cluster.worker("rescuer")
    cluster.beat()
    wait_finished(slow + linear, timeout=120)
    assert_runs(slow, ["prepare", "slow", "finish"], "slow")
    assert_runs(linear, ["one", "two", "three"], "linear")
    assert_no_duplicate_history()


def test_pool_process_killed_mid_step_is_redelivered(cluster, tmp_path):
    """No periodic task runs here: only the late acknowledgement can bring the step back."""
    cluster.worker()
    pidfile = tmp_path / "step.pid"
    [run_id] = start_many("it_slow", 1, seconds=0.1, pidfile=str(pidfile))
    wait_until(lambda: pidfile.exists() and pidfile.read_text().strip() != "", timeout=30,
               what="the step to start")
    os.kill(int(pidfile.read_text()), signal.SIGKILL)
    wait_finished([run_id], timeout=30)
    assert_runs([run_id], ["prepare", "slow", "finish"], "slow")


def _redis_address() -> tuple[str, int]:
    parts = urlsplit(REDIS_URL)
    return parts.hostname or "127.0.0.1", parts.port or 6379


def _redis_up(host: str, port: int) -> bool:
    result = subprocess.run(["redis-cli", "-h", host, "-p", str(port), "ping"],
                            capture_output=True, text=True, check=False)
    return result.stdout.strip() == "PONG"


REDIS_SERVER = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1",
                "--port", "6379", "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
                "--logfile", "/var/log/redis/ci.log"]


def _ensure_redis(host: str, port: int) -> None:
    if not _redis_up(host, port):
        subprocess.run(REDIS_SERVER, check=True)
    wait_until(lambda: _redis_up(host, port), timeout=30, what="redis to come back")


def test_redis_restart_mid_load(cluster):
    host, port = _redis_address()
    if host not in ("127.0.0.1", "localhost") or port != 6379 or not shutil.which("redis-server"):
        pytest.skip("restarting Redis needs the local redis-server on 127.0.0.1:6379")
    cluster.worker()
    cluster.beat()
    linear = start_many("it_linear", 60)
    sleepers = start_many("it_sleeper", 40, seconds=1.0)
    try:
        subprocess.run(["redis-cli", "-h", host, "-p", str(port), "shutdown", "nosave"],
                       capture_output=True, check=False)
        wait_until(lambda: not _redis_up(host, port), timeout=10, what="redis to stop")
        time.sleep(1.0)
    finally:
        _ensure_redis(host, port)
    wait_finished(linear + sleepers, timeout=180, cluster=cluster)
    assert_runs(linear, ["one", "two", "three"], "linear")
    assert_runs(sleepers, ["nap", "after"], "woke")
    assert_no_duplicate_history()


def test_two_workers_and_two_ticks_fire_each_timer_once(cluster):
    cluster.worker("w1")
    cluster.worker("w2")
    # Past the countdown threshold: only the periodic task can wake these.
    sleepers = start_many("it_sleeper", 60, seconds=3600.0)
    wait_until(lambda: WorkflowRun.objects.filter(pk__in=sleepers, status=WorkflowStatus.WAITING)
               .count() == len(sleepers), timeout=60, what="runs to sleep")
    WorkflowRun.objects.filter(pk__in=sleepers).update(
        wake_at=timezone.now() - timedelta(seconds=1))

    gate = threading.Barrier(2)
    fired: list[int] = []

    def local_tick() -> None:
        try:
            gate.wait()
            fired.append(engine.tick())
        finally:
            connection.close()

    threads = [threading.Thread(target=local_tick) for _ in range(2)]
    for _ in range(2):
        tasks.tick.apply_async(queue=QUEUE)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    wait_finished(sleepers, timeout=90)
    assert sum(fired) <= len(sleepers)
    assert_runs(sleepers, ["nap", "after"], "woke")
    assert_no_duplicate_history()
