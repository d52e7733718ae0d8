"""Due sleeps and retry waits are resumed in one UPDATE per batch, not one per run."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_ai.automation.testing import time_machine
from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.engine import timers
from django_ai.automation.workflows.models import WorkflowRun, WorkflowStatus


@pytest.mark.django_db
def test_three_hundred_due_sleeps_fire_in_a_few_statements():
    with time_machine() as tm:
        for _ in range(300):
            engine.start("sample_reminders")
        due_at = tm.now + timedelta(hours=24)
    assert WorkflowRun.objects.filter(status=WorkflowStatus.WAITING).count() == 300
    # Outside the time machine the hand-offs stay parked in the test's transaction, so only
    # the firing itself is counted.
    with CaptureQueriesContext(connection) as queries:
        fired = timers.fire_due_runs(due_at)
    assert fired == 300
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 2, statements  # lock the batch, one UPDATE
    running = WorkflowRun.objects.filter(status=WorkflowStatus.RUNNING, wake_at=None, seq=3)
    assert running.count() == 300
