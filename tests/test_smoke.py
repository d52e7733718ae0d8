from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowStatus


def test_quick_start(tm):
    run = engine.start("sample_user_onboarding", user_id=123)
    assert run.status == WorkflowStatus.COMPLETED
    assert run.data["email_sent"] is True
