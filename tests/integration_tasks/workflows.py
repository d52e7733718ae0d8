"""The integration tier's workflows, found by the app's workflows autodiscovery."""

from tests.integration.workflows_integration import *  # noqa: F403
