"""Query-count budgets of the hot paths (issue 7), on SQLite and on PostgreSQL.

Deliveries go to a collecting backend so each measured call is captured on its own: the
engine's queries for one transition, or for one ``engine.signal`` without the resumed steps
(``time_machine`` would run those inside the call, since it drains after every API call).
The tests use real commits (``transactional_db``), as production does: no savepoints.
"""

from __future__ import annotations

from collections import deque

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from pydantic import BaseModel

from django_ai.automation.workflows.backends import set_backend_override
from django_ai.automation.workflows.backends.base import Backend
from django_ai.automation.workflows.core import (
    Limit,
    complete,
    engine,
    get_context,
    goto,
    step,
    wait,
)
from django_ai.automation.workflows.core import workflow as declare
from django_ai.automation.workflows.models import StepExecution, WorkflowRun, WorkflowStatus

LOOPS = 300
WAITERS = 1000


@declare("qc_loop")
class LoopWorkflow:
    class Context(BaseModel):
        count: int = 0

    @step(start=True)
    def spin(self):
        ctx = get_context()
        ctx.count += 1
        return goto(self.spin) if ctx.count < LOOPS else complete()


@declare("qc_waiter")
class WaiterWorkflow:
    class Context(BaseModel):
        note: str = ""

    @step(start=True)
    def wait_here(self):
        return wait.for_signal("qc-go")

    @step()
    def after(self):
        return complete()


@declare("qc_limited_loop")
class LimitedLoopWorkflow:
    """Loops on an unlimited step of a workflow that has a limited one (issue 13)."""

    class Context(BaseModel):
        count: int = 0
        tenant_id: str = "t"

    @step(start=True)
    def spin(self):
        ctx = get_context()
        ctx.count += 1
        return goto(self.spin) if ctx.count < LOOPS else goto(self.limited)

    @step(limit=Limit(concurrency=3, rate="6000/m", key="tenant_id"))
    def limited(self):
        return complete()


class Collector(Backend):
    """Keeps deliveries instead of running them."""

    def __init__(self) -> None:
        self.steps: deque[tuple[int, str, int]] = deque()

    def deliver(self, run_id: int, step: str, seq: int) -> None:
        self.steps.append((run_id, step, seq))

    def run_one(self) -> None:
        engine.execute(*self.steps.popleft())

    def drain(self) -> None:
        while self.steps:
            self.run_one()


@pytest.fixture
def collector(transactional_db):
    backend = Collector()
    set_backend_override(backend)
    yield backend
    set_backend_override(None)


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT")


def statements(captured: CaptureQueriesContext) -> tuple[list[str], list[str]]:
    """(data statements, transaction-control statements) of a capture."""
    sql = [query["sql"] for query in captured.captured_queries]
    control = [text for text in sql if text.upper().startswith(TRANSACTION_CONTROL)]
    return [text for text in sql if text not in control], control


def queries_of_next_step(collector: Collector) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        collector.run_one()
    data, control = statements(captured)
    # One transaction, no savepoints (Django logs BEGIN/COMMIT on some versions only).
    assert [text.upper() for text in control] in ([], ["BEGIN", "COMMIT"]), control
    return data


def test_plain_goto_transition_takes_at_most_four_queries(collector):
    run = engine.start("qc_loop")
    first = queries_of_next_step(collector)
    for _ in range(LOOPS // 2):
        collector.run_one()
    later = queries_of_next_step(collector)

    assert StepExecution.objects.filter(run=run).count() == LOOPS // 2 + 2
    # Lock (SELECT ... FOR UPDATE on PostgreSQL), update the run, insert the history row.
    assert len(first) <= 3, first
    assert first[0].startswith("SELECT"), first
    if connection.vendor == "postgresql":
        assert "FOR UPDATE" in first[0], first
        # The run's UPDATE and the history INSERT go as one statement (a CTE).
        assert len(first) == 2, first
        assert first[1].startswith("WITH") and "INSERT INTO" in first[1], first
    # The same statements however long the run's history already is.
    assert len(later) == len(first), (first, later)
    collector.drain()
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED
    assert run.data["count"] == LOOPS


def test_signal_resuming_a_thousand_runs_takes_under_fifty_queries(collector):
    with transaction.atomic():
        for _ in range(WAITERS):
            engine.start("qc_waiter")
    collector.drain()
    assert WorkflowRun.objects.filter(status=WorkflowStatus.SUSPENDED).count() == WAITERS

    with CaptureQueriesContext(connection) as captured:
        resumed = engine.signal("qc-go", {"note": "go"})

    data, _control = statements(captured)
    assert resumed == WAITERS
    assert len(captured.captured_queries) < 50, data
    # Nothing ran inside the call: every resumed step is a queued delivery.
    assert len(collector.steps) == WAITERS
    assert WorkflowRun.objects.filter(status=WorkflowStatus.RUNNING, current_step="after",
                                      data__note="go").count() == WAITERS
    collector.drain()
    assert WorkflowRun.objects.filter(status=WorkflowStatus.COMPLETED).count() == WAITERS


def test_save_receivers_on_the_models_keep_the_orm_path(collector):
    """A project listening to post_save on the run or history rows still hears every save."""
    from django.db.models.signals import post_save

    heard = []

    def receiver(sender, instance, **kwargs):
        heard.append(type(instance).__name__)

    post_save.connect(receiver, sender=StepExecution, weak=False)
    try:
        run = engine.start("qc_loop")
        collector.run_one()
        collector.run_one()
    finally:
        post_save.disconnect(receiver, sender=StepExecution)
    assert heard == ["StepExecution", "StepExecution"]
    assert StepExecution.objects.filter(run=run).count() == 2


def test_limits_add_no_statement_to_steps_without_a_limit(collector):
    """Issue 13: a step without a Limit pays a dict lookup, no query, even when the workflow
    declares limits on other steps."""
    engine.start("qc_loop")
    plain = queries_of_next_step(collector)
    collector.drain()
    engine.start("qc_limited_loop")
    first = queries_of_next_step(collector)
    later = queries_of_next_step(collector)
    assert len(first) == len(later) == len(plain), (plain, first, later)
    assert not any("_limit" in text for text in first + later), first + later
    collector.drain()
    assert WorkflowRun.objects.get(name="qc_limited_loop").status == WorkflowStatus.COMPLETED
