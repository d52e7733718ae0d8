"""What the documents leave abstract, per document: the services their steps call, the workflows
and runs other pages define. Each is the smallest stand-in that lets the page run as printed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel

from django_ai.automation.workflows.core import complete, get_context, goto, sleep, step, wait
from django_ai.automation.workflows.core import workflow as declare
from django_ai.automation.workflows.models import WorkflowRun, WorkflowStatus


class Service:
    """A stand-in for an outside service: every method call is recorded and returns an id."""

    def __init__(self, name: str, failing: tuple[str, ...] = ()) -> None:
        self.name, self.failing, self.calls = name, failing, []

    def __getattr__(self, method: str) -> Any:
        def call(*args: Any) -> str:
            self.calls.append((method, *args))
            if method in self.failing:
                raise RuntimeError(f"{self.name}.{method} is down")
            return f"{self.name}-{method}-{len(self.calls)}"
        return call


def _failed_run_42() -> None:
    """``workflows show 42`` / ``retry 42``: a run that failed at a step that now works."""

    @declare("nightly_import")
    class NightlyImport:
        class Context(BaseModel):
            rows: int = 0

        @step(start=True)
        def load(self):
            get_context().rows = 10
            return complete()

    WorkflowRun.objects.create(pk=42, name="nightly_import", status=WorkflowStatus.FAILED,
                               current_step="load", error="ConnectionError: feed unavailable")


def _guide_workflows() -> None:
    """The guide's reminder loop and review, which howto-testing tests by the names shown."""

    @declare("reminders")
    class Reminders:
        class Context(BaseModel):
            reminders_sent: int = 0
            escalated: bool = False

        @step(start=True)
        def send_reminder(self):
            ctx = get_context()
            ctx.reminders_sent += 1
            return sleep(timedelta(hours=24)) if ctx.reminders_sent < 3 else goto(self.escalate)

        @step()
        def escalate(self):
            get_context().escalated = True
            return complete()

    @declare("review")
    class Review:
        class Context(BaseModel):
            reviewer_name: str = ""
            approved: bool = False

        @step(start=True)
        def wait_for_review(self):
            return wait.for_signal("review_completed")

        @step()
        def process_review(self):
            return complete()


def stubs_for(doc: str, tm: Any) -> dict[str, Any]:
    name = doc.rsplit("/", 1)[-1]
    if name == "howto-retries-and-compensation.md":
        _failed_run_42()
        return {name: Service(name) for name in (
            "crm_client", "mail_house", "payments", "payment_service", "inventory_service",
            "shipping_service")}
    if name == "howto-deploying.md":
        _failed_run_42()
    if name == "howto-celery.md":  # its settings lines extend the DATABASES defined above them
        return {"DATABASES": {"default": {}}}
    if name == "howto-subflows.md":
        return {"mailer": Service("mailer")}
    if name == "howto-testing.md":
        _guide_workflows()
    if name == "howto-events.md":
        from tests.eventapp.models import Appointment, Order

        return {"Order": Order, "Appointment": Appointment}
    return {}
