import pytest

from django_ai.automation.testing import time_machine
from tests.testapp import workflows as sample


@pytest.fixture
def tm(db):
    """A time machine over the test's database, with the sample call log emptied."""
    sample.CALLS.clear()
    with time_machine() as machine:
        yield machine
