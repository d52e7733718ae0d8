"""Issue 13 against real workers: a concurrency limit holds across processes, and a worker
SIGKILLed while its run holds a place does not leak it."""

from __future__ import annotations

import signal
import time

import pytest

pytest.importorskip("celery", reason="the celery extra is not installed")

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.limits.models import LimitHolder, LimitWaiter
from tests.testapp.models import Ledger

from .conftest import wait_until
from .runs import assert_runs, open_step_transactions
from .test_celery_delivery import wait_finished

pytestmark = pytest.mark.integration


def spans(tenant: str) -> list[tuple[float, float]]:
    notes = Ledger.objects.filter(note__startswith=f"span:{tenant}:").values_list("note",
                                                                                 flat=True)
    return sorted((float(a), float(b)) for a, b in (note.split(":")[2:] for note in notes))


def peak_overlap(intervals: list[tuple[float, float]]) -> int:
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    peak = level = 0
    for _, change in edges:
        level += change
        peak = max(peak, level)
    return peak


def _holders_within_limit() -> bool:
    counts = LimitHolder.objects.values_list("gate__key", flat=True)
    assert all(list(counts).count(key) <= 2 for key in set(counts)), list(counts)
    return True


def test_limit_holds_across_two_workers(cluster):
    cluster.worker("w1", concurrency=3)
    cluster.worker("w2", concurrency=3)
    ids = [engine.start("it_limited", tenant_id=tenant, seconds=0.5).pk
           for tenant in ("a", "b") for _ in range(6)]

    def done() -> bool:
        _holders_within_limit()
        return Ledger.objects.filter(note__startswith="span:").count() == len(ids)

    wait_until(done, timeout=90, interval=0.05, what="every limited step to run")
    wait_finished(ids, timeout=30)
    assert_runs(ids, ["prepare", "work", "finish"], None)
    for tenant in ("a", "b"):
        assert peak_overlap(spans(tenant)) == 2, spans(tenant)
    assert not LimitHolder.objects.exists() and not LimitWaiter.objects.exists()


def test_sigkill_while_holding_a_place_gives_it_back_within_recovery(cluster, settings):
    doomed = cluster.worker("doomed", concurrency=2)
    ids = [engine.start("it_limited", tenant_id="k", seconds=2.0).pk for _ in range(4)]
    wait_until(lambda: LimitHolder.objects.filter(gate__key="k").count() == 2, timeout=30,
               interval=0.05, what="both places to be taken")
    time.sleep(0.5)  # the two-second bodies are now mid-way
    assert open_step_transactions() >= 2
    doomed.kill(signal.SIGKILL)
    killed_at = time.time()
    assert not Ledger.objects.filter(note__startswith="span:k:").exists()
    assert LimitHolder.objects.filter(gate__key="k").count() == 2  # the killed runs keep theirs

    cluster.worker("rescuer", concurrency=2)
    cluster.beat()
    wait_finished(ids, timeout=90, cluster=cluster)
    assert_runs(ids, ["prepare", "work", "finish"], None)
    done = spans("k")
    assert len(done) == 4 and peak_overlap(done) <= 2, done
    recovery = settings.DJANGO_AI["RECOVERY_AFTER_SECONDS"]
    # The killed runs were delivered again once recovery saw them: their places were back in
    # service within the recovery interval (plus a tick and a worker's start-up).
    assert done[0][0] - killed_at < recovery + 10, (done[0][0] - killed_at, recovery)
    assert not LimitHolder.objects.exists() and not LimitWaiter.objects.exists()
