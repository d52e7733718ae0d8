"""Issue 13 against real services: two beats, two workers and a local ticker all fire one
schedule, and each due time starts exactly one run."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from itertools import pairwise

import pytest

pytest.importorskip("celery", reason="the celery extra is not installed")
from django.db import connection

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import ScheduleFire, WorkflowRun
from django_ai.automation.workflows.scheduling.models import Schedule

from .conftest import wait_until
from .runs import assert_runs
from .test_celery_delivery import wait_finished

pytestmark = pytest.mark.integration


def test_racing_beats_workers_and_ticker_start_one_run_per_due_time(cluster):
    cluster.worker("w1")
    cluster.worker("w2")
    cluster.beat()
    cluster.beat()
    schedule = Schedule.objects.create(name="it-every-second", workflow="it_linear",
                                       every_seconds=1, overlap="allow", catch_up="all")
    stop = threading.Event()

    def local_ticker() -> None:
        try:
            while not stop.is_set():
                engine.tick()
                time.sleep(0.05)
        finally:
            connection.close()

    tickers = [threading.Thread(target=local_ticker) for _ in range(2)]
    for ticker in tickers:
        ticker.start()
    try:
        wait_until(lambda: ScheduleFire.objects.filter(schedule=schedule).count() >= 8,
                   timeout=60, what="eight due times to fire")
    finally:
        Schedule.objects.filter(pk=schedule.pk).update(enabled=False)
        stop.set()
        for ticker in tickers:
            ticker.join(timeout=30)
    fires = list(ScheduleFire.objects.filter(schedule=schedule).order_by("due_at"))
    due = [fire.due_at for fire in fires]
    # One fire per due second, none skipped between the first and the last.
    assert all(b - a == timedelta(seconds=1) for a, b in pairwise(due)), due
    assert {fire.outcome for fire in fires} == {"started"}
    runs = [fire.run_id for fire in fires]
    assert len(set(runs)) == len(runs) == WorkflowRun.objects.filter(name="it_linear").count()
    wait_finished(runs, timeout=60)
    assert_runs(runs, ["one", "two", "three"], "linear")
