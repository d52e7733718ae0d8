"""Issue 12 against real services: early signals under Celery, and a rolling deploy with two
workers on different code."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

pytest.importorskip("celery", reason="the celery extra is not installed")

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowRun, WorkflowStatus
from tests.testapp.models import Ledger

from .conftest import wait_until
from .runs import suspended
from .test_celery_delivery import wait_finished

pytestmark = pytest.mark.integration


def test_signals_sent_while_the_step_before_the_wait_runs_are_never_lost(cluster):
    cluster.worker(concurrency=2)
    cluster.beat()
    ids = [engine.start("it_early", seconds=1.5).pk for _ in range(6)]
    # Let the worker take the first two runs: they are mid-``prepare`` (holding their rows)
    # when the signals come; the other four are still queued at ``prepare``.
    time.sleep(0.8)
    outcomes: dict[int, object] = {}

    def approve(run_id: int) -> None:
        from django.db import connection

        try:
            outcomes[run_id] = engine.signal("it_approve", {"approved": True}, run_id=run_id)
        finally:
            connection.close()

    senders = [threading.Thread(target=approve, args=(run_id,)) for run_id in ids]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(60)
    wait_finished(ids, timeout=60)

    assert all((int(o), o.kept) in ((1, 0), (0, 1)) for o in outcomes.values()), outcomes
    assert any(o.kept for o in outcomes.values()), "no signal came early: the race was missed"
    for run in WorkflowRun.objects.filter(pk__in=ids):
        assert run.status == WorkflowStatus.COMPLETED, (run.pk, run.error)
        assert run.data["approved"] is True and run.kept_signals == []
        assert run.completion_display == {"display_title": "approved"}
    assert Counter(Ledger.objects.filter(note="early").values_list("run_id", flat=True)) == {
        run_id: 1 for run_id in ids}


def test_a_rolling_deploy_with_old_and_new_workers_loses_no_run(cluster):
    cluster.worker("new")
    waiting = [engine.start("it_rolling").pk for _ in range(10)]
    # Suspended by the new code, so they resume at ``added`` (the step written after ``ask``).
    wait_until(lambda: suspended(waiting), timeout=30, what="the rolling runs to wait")
    old = cluster.worker("old", env={"DJANGO_AI_TEST_OLD_CODE": "1"})
    cluster.beat()
    # Resumed by this (updated) process at ``added``, a step only the new worker has.
    assert engine.signal("it_go") == len(waiting)
    # A workflow only the new release has, delivered to whichever worker takes it.
    added = [engine.start("it_added_flow", n=n).pk for n in range(10)]
    wait_finished(waiting + added, timeout=180)

    runs = WorkflowRun.objects.filter(pk__in=waiting + added)
    assert {run.status for run in runs} == {WorkflowStatus.COMPLETED}
    assert all(run.error == "" and run.unknown_code_since is None for run in runs)
    assert all(run.data["done_by"] == "new code" for run in runs if run.pk in waiting)
    notes = Counter(Ledger.objects.values_list("note", "run_id"))
    assert all(count == 1 for count in notes.values()), notes
    assert sum(1 for note, _ in notes if note in ("added", "added_flow")) == 20
    assert "Handed back" in old.log.read_text(), "the old worker never met the new code"
