"""Issue 15 against real services: fan-outs leave as batch messages (``execute_steps``) and keep
Celery's delivery guarantees."""

from __future__ import annotations

import signal

import pytest

pytest.importorskip("celery", reason="the celery extra is not installed")

from django_ai.automation.workflows.core import engine

from .conftest import wait_until
from .lateness import assert_no_duplicate_history
from .runs import assert_runs, open_step_transactions, suspended
from .test_celery_delivery import wait_finished

pytestmark = pytest.mark.integration


def test_signal_fan_out_resumes_every_run_through_batches(cluster):
    cluster.worker()
    ids = [run.pk for run in engine.start_many("it_signal", [{} for _ in range(120)])]
    wait_until(lambda: suspended(ids), timeout=60, what="the runs to suspend")
    assert engine.signal("it_answer", {"answer": "yes"}) == 120
    wait_finished(ids, timeout=120)
    assert_runs(ids, ["ask", "answered"], "answered")
    assert_no_duplicate_history()


def test_batch_cut_short_by_a_killed_worker_is_finished_by_another(cluster):
    doomed = cluster.worker("doomed")
    ids = [run.pk for run in engine.start_many("it_slow", [{"seconds": 0.05}] * 120)]
    wait_until(lambda: open_step_transactions() > 0, timeout=30, interval=0.02,
               what="a step of a batch to be mid-body")
    doomed.kill(signal.SIGKILL)

    cluster.worker("rescuer")
    cluster.beat()
    wait_finished(ids, timeout=180)
    # Each run's slow step wrote its ledger row once: the killed attempt rolled back.
    assert_runs(ids, ["prepare", "slow", "finish"], "slow")
    assert_no_duplicate_history()
