"""Timer and recovery lateness under a step backlog (issue 10 point 12), for both worker tiers.

A thread of the test process polls the runs every ``POLL`` seconds and notes when each sleeper
left WAITING (its timer fired) and when each lost run's ``seq`` moved (the tick delivered it
again). Lateness is that moment minus when it was due: ``wake_at``, or the run's last update
plus ``RECOVERY_AFTER_SECONDS``. The poll adds up to ``POLL`` seconds to every figure.
"""

from __future__ import annotations

import statistics
import threading
import time
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from django_ai.automation.workflows.backends import set_backend_override
from django_ai.automation.workflows.backends.base import Backend
from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowRun, WorkflowStatus

POLL = 0.1


class LosingBackend(Backend):
    """Drops every delivery, as a broker or worker that lost the message would."""

    def deliver(self, run_id: int, step: str, seq: int) -> None:
        pass


def start_lost(name: str, count: int, **kwargs: object) -> list[int]:
    set_backend_override(LosingBackend())
    try:
        return [engine.start(name, **kwargs).pk for _ in range(count)]
    finally:
        set_backend_override(None)


class Watch(threading.Thread):
    def __init__(self, timers: list[int], lost: list[int], recovery_after: float) -> None:
        super().__init__(daemon=True)
        self.timers, self.lost = list(timers), list(lost)
        self.recovery_after = timedelta(seconds=recovery_after)
        self.due: dict[int, datetime] = {}
        self.fired: dict[int, float] = {}
        self.recovered: dict[int, float] = {}
        self.stopping = threading.Event()
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            base = {pk: (seq, updated) for pk, seq, updated in WorkflowRun.objects.filter(
                pk__in=self.lost).values_list("pk", "seq", "updated_at")}
            while not self.stopping.is_set() and (len(self.fired) < len(self.timers)
                                                  or len(self.recovered) < len(self.lost)):
                self._poll(base)
                time.sleep(POLL)
        except BaseException as exc:  # reported by the test
            self.failure = exc
        finally:
            connection.close()

    def _poll(self, base: dict[int, tuple[int, datetime]]) -> None:
        at = timezone.now()
        waiting = [pk for pk in self.timers if pk not in self.fired]
        for pk, status, wake_at in WorkflowRun.objects.filter(pk__in=waiting).values_list(
                "pk", "status", "wake_at"):
            if status == WorkflowStatus.WAITING:
                self.due[pk] = wake_at
            elif pk in self.due:
                self.fired[pk] = (at - self.due[pk]).total_seconds()
        pending = [pk for pk in self.lost if pk not in self.recovered]
        for pk, seq in WorkflowRun.objects.filter(pk__in=pending).values_list("pk", "seq"):
            if seq != base[pk][0]:
                self.recovered[pk] = (at - base[pk][1] - self.recovery_after).total_seconds()

    def finish(self, timeout: float) -> None:
        self.join(timeout)
        self.stopping.set()
        self.join(5)
        if self.failure is not None:
            raise self.failure


def percentiles(values: list[float]) -> tuple[float, float, float]:
    """(p50, p99, max) in seconds."""
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99, ordered[-1]


def report(label: str, values: list[float]) -> str:
    p50, p99, worst = percentiles(values)
    line = (f"{label}: n={len(values)} p50={p50:.2f}s p99={p99:.2f}s max={worst:.2f}s")
    print(line)
    return line


def assert_no_duplicate_history(loops: list[int] = ()) -> None:
    """No step recorded twice, except in ``loops``: runs whose steps repeat by design (the
    backlog), which must have one history row per round and one ledger row."""
    from collections import Counter

    from django_ai.automation.workflows.models import StepExecution
    from tests.testapp.models import Ledger

    for run in WorkflowRun.objects.filter(pk__in=loops):
        assert StepExecution.objects.filter(run=run).count() == run.data["done"], run.pk
        assert Ledger.objects.filter(run_id=run.pk).count() == 1, run.pk
    rows = Counter(StepExecution.objects.exclude(run_id__in=loops)
                   .values_list("run_id", "step_name"))
    duplicates = {key: count for key, count in rows.items() if count > 1}
    assert not duplicates, f"duplicate StepExecution rows: {duplicates}"
