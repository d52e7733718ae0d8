from datetime import timedelta

import pytest

from django_ai.automation.workflows.core import engine
from tests.testapp import observed_workflows


@pytest.fixture
def order_run(tm):
    """An ops_order run now suspended at wait_approval, after a retry, a subflow and a sleep."""
    observed_workflows.FLAKY.clear()
    run = engine.start("ops_order", order_id=4711)
    tm.advance(timedelta(seconds=31))
    tm.advance(timedelta(hours=1, seconds=1))
    run.refresh_from_db()
    assert (run.status, run.current_step) == ("suspended", "wait_approval")
    return run
