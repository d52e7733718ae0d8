"""SPEC section 7 on Django's Tasks framework: django-tasks-db workers on PostgreSQL, no Redis.

The same scenarios as the Celery tier. One difference in the mechanism: the Tasks framework
never redelivers a task whose worker died, so a step killed mid-body comes back through the
periodic tick's recovery (``RECOVERY_AFTER_SECONDS``) rather than a broker's redelivery.
"""

from __future__ import annotations

import signal
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowRun, WorkflowStatus
from tests.integration.lateness import Watch, assert_no_duplicate_history, report, start_lost
from tests.integration.runs import (
    all_finished,
    assert_runs,
    open_step_transactions,
    start_many,
    suspended,
    unfinished,
)
from tests.testapp.models import Ledger

from .conftest import wait_until

pytestmark = pytest.mark.integration





def wait_finished(ids: list[int], timeout: float, cluster=None) -> None:
    try:
        wait_until(lambda: all_finished(ids), timeout=timeout, what=f"{len(ids)} runs to finish")
    except AssertionError:
        logs = cluster.logs() if cluster is not None else ""
        raise AssertionError(f"runs still unfinished after {timeout}s: {unfinished(ids)}\n{logs}")


def test_two_hundred_mixed_runs(cluster):
    cluster.worker("w1")
    cluster.worker("w2")
    cluster.ticker(every=1.0)
    linear = start_many("it_linear", 40)
    sleepers = start_many("it_sleeper", 40, seconds=1.0)
    answered = start_many("it_signal", 30) + start_many("it_signal", 20, timeout=60.0)
    expired = start_many("it_signal", 30, timeout=1.0)
    flaky = start_many("it_flaky", 20)
    parents = start_many("it_parent", 20)

    # Generous: the first steps of 200 runs go through two workers on a possibly busy machine.
    wait_until(lambda: suspended(answered), timeout=180, what="signal runs to suspend")
    for run_id in answered:
        assert engine.signal("it_answer", {"answer": "yes"}, run_id=run_id) == 1
    everything = linear + sleepers + answered + expired + flaky + parents
    assert len(everything) == 200
    wait_finished(everything, timeout=180, cluster=cluster)

    assert_runs(linear, ["one", "two", "three"], "linear")
    assert_runs(sleepers, ["nap", "after"], "woke")
    assert_runs(answered, ["ask", "answered"], "answered")
    assert_runs(expired, ["ask", "expired"], "expired")
    assert_runs(flaky, ["attempt"], "attempt")  # failed attempts rolled back their rows
    assert_runs(parents, ["spawn", "joined"], None)
    assert all(WorkflowRun.objects.get(pk=pk).data["answer"] == "yes" for pk in answered)
    assert all(WorkflowRun.objects.get(pk=pk).data["timed_out"] for pk in expired)
    middles = list(WorkflowRun.objects.filter(parent_run_id__in=parents)
                   .values_list("pk", flat=True))
    leaves = list(WorkflowRun.objects.filter(parent_run_id__in=middles)
                  .values_list("pk", flat=True))
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
    cluster.ticker(every=1.0)
    wait_finished(slow + linear, timeout=120, cluster=cluster)
    assert_runs(slow, ["prepare", "slow", "finish"], "slow")
    assert_runs(linear, ["one", "two", "three"], "linear")
    assert_no_duplicate_history()


def test_two_workers_and_two_ticks_fire_each_timer_once(cluster):
    cluster.worker("w1")
    cluster.worker("w2")
    # Past the deferred-wake threshold: only the tick can wake these.
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
    cluster.ticker(every=0.2, name="tick-a")  # two ticker processes race the two threads
    cluster.ticker(every=0.2, name="tick-b")
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    wait_finished(sleepers, timeout=90, cluster=cluster)
    assert sum(fired) <= len(sleepers)
    assert_runs(sleepers, ["nap", "after"], "woke")
    assert_no_duplicate_history()


def test_timers_and_recovery_do_not_starve_behind_a_step_backlog(cluster):
    """Two workers saturated by about a minute of step work; a 5 s tick. Deferred wakes (high
    priority) and tick-fired timers fire, and lost deliveries are recovered, on time."""
    tick, recovery = 5.0, 20
    cluster.env.update(DJANGO_AI_TEST_RECOVERY=str(recovery))
    cluster.worker("w1")
    cluster.worker("w2")
    cluster.ticker(every=tick)
    deferred = [engine.start("it_sleeper", seconds=float(s)).pk for s in range(15, 55, 2)]
    by_tick = start_many("it_sleeper", 20, seconds=3600.0)  # beyond the deferred-wake horizon
    wait_until(lambda: WorkflowRun.objects.filter(
        pk__in=deferred + by_tick, status=WorkflowStatus.WAITING).count() == 40,
        timeout=60, what="sleepers to sleep")
    soon = timezone.now()
    for offset, pk in enumerate(by_tick):
        WorkflowRun.objects.filter(pk=pk).update(wake_at=soon + timedelta(seconds=10 + 2 * offset))

    busy = start_many("it_busy", 6, rounds=80, seconds=0.25)  # 2 x 60 s of steps
    lost = start_lost("it_linear", 10)
    watch = Watch(deferred + by_tick, lost, recovery_after=recovery)
    watch.start()
    watch.finish(timeout=120)

    fired = [watch.fired[pk] for pk in deferred if pk in watch.fired]
    ticked = [watch.fired[pk] for pk in by_tick if pk in watch.fired]
    recovered = list(watch.recovered.values())
    report("tasks tier: deferred wake lateness", fired)
    report("tasks tier: tick-fired timer lateness", ticked)
    report("tasks tier: lost-delivery recovery lateness", recovered)
    assert len(fired) == len(deferred) and len(ticked) == len(by_tick)
    assert len(recovered) == len(lost)
    assert max(fired) < tick, "deferred wakes should not wait for the tick"
    assert max(ticked) < 2 * tick and max(recovered) < 2 * tick
    assert WorkflowRun.objects.filter(pk__in=busy).exclude(status=WorkflowStatus.COMPLETED)\
        .exists(), "the backlog should still be running when every timer has fired"
    wait_finished(deferred + by_tick + busy + lost, timeout=180, cluster=cluster)
    assert_runs(deferred + by_tick, ["nap", "after"], "woke")
    assert_runs(lost, ["one", "two", "three"], "linear")
    assert_no_duplicate_history(loops=busy)
