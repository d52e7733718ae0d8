"""Issue 10, point 1 (the general rule): a delivery that fails outside the step's own code on
every try (its worker dies, its outcome cannot be saved) is not delivered forever. After
MAX_TRIES_WITHOUT_PROGRESS tries the run fails with the last error."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.db import DataError
from django.utils import timezone

from django_ai.automation.workflows.backends import run_parked_handoffs, set_backend_override
from django_ai.automation.workflows.backends.base import Backend
from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.engine import outcomes, timers
from django_ai.automation.workflows.models import WorkflowStatus
from tests import hardening_flows as flows

MAX_TRIES = 3


class Killed(BaseException):
    """Stands for the worker process dying in the middle of the step."""


class Collector(Backend):
    def __init__(self) -> None:
        self.steps: list[tuple[int, str, int]] = []

    def deliver(self, run_id: int, step: str, seq: int) -> None:
        self.steps.append((run_id, step, seq))

    def after_api_call(self) -> None:
        run_parked_handoffs()

    def run_next(self) -> None:
        """Execute the oldest delivery as a worker would; what escapes is the worker's end."""
        delivery = self.steps.pop(0)
        try:
            engine.execute(*delivery)
        except (Killed, DataError):
            pass
        run_parked_handoffs()


@pytest.fixture
def worker(db, settings):
    settings.DJANGO_AI = {"MAX_TRIES_WITHOUT_PROGRESS": MAX_TRIES, "RECOVERY_AFTER_SECONDS": 60}
    flows.CALLS.clear()
    backend = Collector()
    set_backend_override(backend)
    yield backend
    set_backend_override(None)


def recover(minutes: int) -> int:
    """The periodic task, some minutes from now (every lost run is overdue by then)."""
    count = timers.recover_lost(timezone.now() + timedelta(minutes=minutes))
    run_parked_handoffs()
    return count


def test_a_step_whose_worker_dies_every_time_fails_after_the_bounded_tries(worker):
    run = engine.start("hard_values")
    with mock.patch("django_ai.automation.workflows.engine.execution.call_body",
                    side_effect=Killed()):
        worker.run_next()  # the first try: nobody knows yet that it died
        for minute in range(2, 30, 2):
            if not recover(minute):
                break
            worker.run_next()
    run.refresh_from_db()
    assert run.status == WorkflowStatus.FAILED
    assert f"was tried {MAX_TRIES} times without finishing" in run.error
    assert "the process running the step stopped each time" in run.error
    assert run.data["compensated"] is True  # the failure path ran @on_fail
    assert recover(60) == 0  # never delivered again


def test_an_outcome_the_database_refuses_is_recorded_and_bounded(worker):
    run = engine.start("hard_values")
    with mock.patch.object(outcomes, "persist", side_effect=DataError("value refused")):
        worker.run_next()
        run.refresh_from_db()
        # Not RUNNING with an empty error any more: the error is kept while it is retried.
        assert run.status == WorkflowStatus.RUNNING
        assert "DataError: value refused" in run.error
        tries = 1
        for minute in range(2, 30, 2):
            if not recover(minute):
                break
            worker.run_next()
            tries += 1
    run.refresh_from_db()
    assert run.status == WorkflowStatus.FAILED
    assert "Last error: DataError: value refused" in run.error
    assert flows.CALLS == ["compute"] * MAX_TRIES
    assert tries == MAX_TRIES + 1  # the last delivery gave up without running the body


def test_deliveries_nobody_takes_do_not_count(worker):
    """A broker outage: recovery sends the run again and again, no worker runs it."""
    run = engine.start("hard_values")
    for minute in range(2, 40, 2):
        assert recover(minute) == 1
    worker.steps.clear()
    run.refresh_from_db()
    assert run.status == WorkflowStatus.RUNNING
    assert run.redeliveries == 1
    assert recover(50) == 1
    while worker.steps:  # the broker is back
        worker.run_next()
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED
    assert run.redeliveries == 0


def test_progress_resets_the_count(worker):
    run = engine.start("hard_values")
    with mock.patch("django_ai.automation.workflows.engine.execution.call_body",
                    side_effect=Killed()):
        worker.run_next()
        recover(2)
        worker.run_next()
    run.refresh_from_db()
    assert run.redeliveries == 2  # one try counted so far
    recover(4)
    worker.run_next()  # compute succeeds: progress
    run.refresh_from_db()
    assert run.status == WorkflowStatus.RUNNING and run.current_step == "after"
    assert run.redeliveries == 0
    assert run.error == ""
