import pytest

from django_ai.automation.workflows import registry
from tests.eventapp import flows

# Importing ``flows`` registered its workflows; keep them out of other tests' way and register
# them only around the tests of this package.
SPECS = [cls._django_ai_spec for cls in flows.EVENT_WORKFLOWS]
for _spec in SPECS:
    registry.unregister(_spec.name)


@pytest.fixture(autouse=True)
def event_flows():
    for spec in SPECS:
        registry.register(spec)
    flows.CALLS.clear()
    yield flows
    for spec in SPECS:
        registry.unregister(spec.name)
