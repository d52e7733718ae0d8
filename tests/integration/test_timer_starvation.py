"""Issue 10 point 12 on Celery: timers and recovery do not starve behind a step backlog.

Both pool processes of the worker are saturated by about a minute of step work each; beat sends
the tick every 5 s. Wake tasks and the tick travel on the timer queue, which the worker consumes
besides its ``-Q`` step queue, so due timers fire, and lost deliveries are recovered, within
about one tick interval. ``DJANGO_AI_TEST_TIMER_QUEUE=none`` puts them back on the step queue
to show the starvation this prevents (the lateness bounds are then only reported).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

pytest.importorskip("celery", reason="the celery extra is not installed")
from django.utils import timezone

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowRun, WorkflowStatus
from tests.integration import settings as integration_settings

from .conftest import wait_until
from .lateness import Watch, assert_no_duplicate_history, report, start_lost
from .runs import assert_runs
from .test_celery_delivery import wait_finished

pytestmark = pytest.mark.integration

TICK, RECOVERY = 5.0, 20


def test_timers_and_recovery_do_not_starve_behind_a_step_backlog(cluster):
    cluster.env = {**cluster.env, "DJANGO_AI_TEST_TICK": str(TICK),
                   "DJANGO_AI_TEST_RECOVERY": str(RECOVERY)}
    cluster.worker(concurrency=2)
    cluster.beat()
    countdown = [engine.start("it_sleeper", seconds=float(s)).pk for s in range(15, 55, 2)]
    by_tick = [engine.start("it_sleeper", seconds=3600.0).pk for _ in range(20)]
    wait_until(lambda: WorkflowRun.objects.filter(
        pk__in=countdown + by_tick, status=WorkflowStatus.WAITING).count() == 40,
        timeout=60, what="sleepers to sleep")
    soon = timezone.now()
    for offset, pk in enumerate(by_tick):  # past the countdown threshold: only the tick fires
        WorkflowRun.objects.filter(pk=pk).update(wake_at=soon + timedelta(seconds=10 + 2 * offset))

    busy = [engine.start("it_busy", rounds=80, seconds=0.25).pk for _ in range(6)]  # 2 x 60 s
    lost = start_lost("it_linear", 10)
    watch = Watch(countdown + by_tick, lost, recovery_after=RECOVERY)
    watch.start()
    watch.finish(timeout=150)

    fired = [watch.fired[pk] for pk in countdown if pk in watch.fired]
    ticked = [watch.fired[pk] for pk in by_tick if pk in watch.fired]
    recovered = list(watch.recovered.values())
    where = "timer queue" if integration_settings.TIMER_QUEUE else "step queue (baseline)"
    report(f"celery tier, {where}: countdown wake lateness", fired or [float("nan")])
    report(f"celery tier, {where}: tick-fired timer lateness", ticked or [float("nan")])
    report(f"celery tier, {where}: lost-delivery recovery lateness", recovered or [float("nan")])
    if integration_settings.TIMER_QUEUE:
        assert len(fired) == len(countdown) and len(ticked) == len(by_tick)
        assert len(recovered) == len(lost)
        assert max(fired) < TICK and max(ticked) < 2 * TICK and max(recovered) < 2 * TICK
        assert WorkflowRun.objects.filter(pk__in=busy).exclude(
            status=WorkflowStatus.COMPLETED).exists(), "the backlog should outlast the timers"
    wait_finished(countdown + by_tick + busy + lost, timeout=240)
    assert_runs(countdown + by_tick, ["nap", "after"], "woke")
    assert_runs(lost, ["one", "two", "three"], "linear")
    assert_no_duplicate_history(loops=busy)
