"""Concurrency limits: places are taken on entering the step, the rest wait FIFO per key."""

from __future__ import annotations

from collections import deque

import pytest
from django.core.management import call_command
from django.db import transaction

from django_ai.automation.workflows.backends import set_backend_override
from django_ai.automation.workflows.backends.base import Backend
from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.limits.models import LimitHolder, LimitWaiter
from django_ai.automation.workflows.management.runinfo import why_waiting
from django_ai.automation.workflows.models import WaitKind, WorkflowRun, WorkflowStatus

from . import workflows_limits as wl


class Collector(Backend):
    """Keeps deliveries until the test runs them: a delivered step holds its place."""

    def __init__(self) -> None:
        self.steps: deque[tuple[int, str, int]] = deque()

    def deliver(self, run_id: int, step: str, seq: int) -> None:
        self.steps.append((run_id, step, seq))

    def run_one(self) -> tuple[int, str, int]:
        item = self.steps.popleft()
        engine.execute(*item)
        return item

    def drain(self) -> None:
        while self.steps:
            self.run_one()


@pytest.fixture
def collector(transactional_db):
    wl.ORDER.clear()
    backend = Collector()
    set_backend_override(backend)
    yield backend
    set_backend_override(None)


def _start(tenant: str, label: str) -> WorkflowRun:
    return engine.start("lim_import", tenant_id=tenant, label=label)


def _status(run: WorkflowRun) -> tuple[str, str]:
    run.refresh_from_db()
    return run.status, run.wait_kind


def test_runs_over_the_limit_wait_visibly_and_proceed_in_fifo_order(collector):
    runs = [_start("acme", f"a{i}") for i in range(5)]
    other = _start("zeta", "z0")
    for _ in range(6):  # every run's first step: each enters the limited step
        collector.run_one()
    states = [_status(run) for run in runs]
    assert states[:2] == [(WorkflowStatus.RUNNING, "")] * 2
    assert states[2:] == [(WorkflowStatus.WAITING, WaitKind.LIMIT)] * 3
    assert _status(other) == (WorkflowStatus.RUNNING, "")  # another key has its own places
    assert LimitHolder.objects.count() == 3

    waiting = runs[2]
    waiting.refresh_from_db()
    info = waiting.waiting_display["limit_wait"]
    assert info["kind"] == "concurrency" and info["key"] == "acme" and info["capacity"] == 2
    assert info["limit"] == "lim_import.work" and info["since"]
    shown = waiting.current_step_display["wait"]
    assert shown["kind"] == "limit" and shown["for"] == "lim_import.work [acme]"
    assert shown["since"] and shown["until"] is None
    assert waiting.waiting_for == "lim_import.work [acme]"
    assert "Waiting for capacity at step 'work'" in why_waiting(waiting)
    assert "allows 2 at once" in why_waiting(waiting)

    collector.drain()
    assert wl.ORDER == ["a0", "a1", "z0", "a2", "a3", "a4"]
    assert all(_status(run)[0] == WorkflowStatus.COMPLETED for run in [*runs, other])
    assert not LimitHolder.objects.exists() and not LimitWaiter.objects.exists()


def test_never_more_than_the_limit_hold_the_step(collector):
    runs = [_start("acme", f"a{i}") for i in range(6)]
    peak = 0
    while collector.steps:
        collector.run_one()
        at_step = WorkflowRun.objects.filter(current_step="work", status="running").count()
        peak = max(peak, at_step)
        assert LimitHolder.objects.filter(gate__key="acme").count() <= 2
    assert peak == 2
    assert all(_status(run)[0] == WorkflowStatus.COMPLETED for run in runs)


def test_cancelling_a_holder_hands_its_place_to_the_next_in_line(collector):
    runs = [_start("acme", f"a{i}") for i in range(3)]
    for _ in range(3):
        collector.run_one()
    assert _status(runs[2]) == (WorkflowStatus.WAITING, WaitKind.LIMIT)
    engine.cancel(runs[0].pk)
    assert _status(runs[2]) == (WorkflowStatus.RUNNING, "")
    collector.drain()
    assert wl.ORDER == ["a1", "a2"]


def test_cancelling_a_queued_run_leaves_the_queue(collector):
    runs = [_start("acme", f"a{i}") for i in range(4)]
    for _ in range(4):
        collector.run_one()
    engine.cancel(runs[2].pk)
    collector.drain()
    assert wl.ORDER == ["a0", "a1", "a3"]  # the cancelled run's queue entry was skipped
    assert not LimitWaiter.objects.exists() and not LimitHolder.objects.exists()


def test_tick_drops_queue_entries_of_runs_that_stopped_waiting(collector):
    runs = [_start("acme", f"a{i}") for i in range(3)]
    for _ in range(3):
        collector.run_one()
    engine.cancel(runs[2].pk)
    assert LimitWaiter.objects.filter(run=runs[2]).exists()  # left for the tick: no query
    engine.tick()
    assert not LimitWaiter.objects.filter(run=runs[2]).exists()


def test_workflow_limit_holds_from_start_to_finish(collector):
    with transaction.atomic():
        first = engine.start("lim_whole", tenant_id="t1")
        second = engine.start("lim_whole", tenant_id="t1")
        third = engine.start("lim_whole", tenant_id="t2")
    assert _status(second) == (WorkflowStatus.WAITING, WaitKind.LIMIT)
    second.refresh_from_db()
    assert second.current_step == "first"
    assert _status(third) == (WorkflowStatus.RUNNING, "")
    collector.run_one()  # first: step one, still holding
    assert _status(second) == (WorkflowStatus.WAITING, WaitKind.LIMIT)
    collector.drain()
    assert {_status(run)[0] for run in (first, second, third)} == {WorkflowStatus.COMPLETED}


def test_tick_frees_places_of_runs_moved_on_by_hand(collector):
    runs = [_start("acme", f"a{i}") for i in range(3)]
    for _ in range(3):
        collector.run_one()
    # An operator edit that bypasses the engine: the holder is now at another step.
    WorkflowRun.objects.filter(pk=runs[0].pk).update(current_step="done")
    engine.tick()
    assert _status(runs[2]) == (WorkflowStatus.RUNNING, "")
    assert not LimitHolder.objects.filter(run=runs[0]).exists()


def test_tick_serves_a_queue_left_with_free_places(collector):
    runs = [_start("acme", f"a{i}") for i in range(3)]
    for _ in range(3):
        collector.run_one()
    LimitHolder.objects.filter(run=runs[0]).delete()  # as if a wake-up had been passed over
    engine.tick()
    assert _status(runs[2]) == (WorkflowStatus.RUNNING, "")


def test_show_command_says_why_and_since_when(collector, capsys):
    runs = [_start("acme", f"a{i}") for i in range(3)]
    for _ in range(3):
        collector.run_one()
    call_command("workflows", "show", str(runs[2].pk))
    out = capsys.readouterr().out
    assert "Waiting for capacity at step 'work'" in out and "queued since" in out


def test_admin_and_api_say_why_the_run_waits(collector):
    from django.contrib.auth.models import User
    from django.test import Client

    runs = [_start("acme", f"a{i}") for i in range(3)]
    for _ in range(3):
        collector.run_one()
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com"))
    page = client.get(f"/admin/django_ai_workflows/workflowrun/{runs[2].pk}/change/")
    assert "Waiting for capacity at step" in page.content.decode()
    detail = client.get(f"/api/workflows/runs/{runs[2].pk}/")
    assert detail.status_code == 200
    body = detail.json()
    assert body["wait_kind"] == "limit"
    assert body["current_step_display"]["wait"]["for"] == "lim_import.work [acme]"
    assert body["waiting_display"]["limit_wait"]["key"] == "acme"
