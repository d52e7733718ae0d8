from datetime import UTC, datetime

from django_ai.automation.workflows.models import WorkflowRun

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def at(hour: int, minute: int = 0, day: int = 2) -> datetime:
    return START.replace(day=day, hour=hour, minute=minute)


def runs_of(workflow_class):
    return WorkflowRun.objects.filter(name=workflow_class._django_ai_spec.name)
