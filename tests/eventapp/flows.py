"""The guide's event examples, written as the guide writes them.

Not named ``workflows.py`` on purpose: these are registered only for the tests that use them
(``tests/events/conftest.py``), so their event names cannot start runs in other tests.
"""

from datetime import timedelta
from typing import Optional

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel

from django_ai.automation.workflows.core import (
    SubflowResult,
    complete,
    event_workflow,
    fail,
    get_context,
    goto,
    run_subflow,
    step,
    wait_for_event,
    workflow,
)
from tests.testapp.workflows import EmailVerificationWorkflow

CALLS: list[str] = []


@event_workflow("order_placed")
class OrderProcessingWorkflow:
    class Context(BaseModel):
        order_id: int

    @classmethod
    def create_context(cls, event=None):
        order = event.entity
        return cls.Context(order_id=order.id)

    @step(start=True)
    def process_new_order(self):
        CALLS.append(f"processing order {get_context().order_id}")
        return complete()


@event_workflow("appointment_due", offset=timedelta(minutes=-60))
class PreAppointmentReminder:
    @step(start=True)
    def send_reminder(self):
        CALLS.append(f"reminder for appointment {get_context().entity_id}")
        return complete(
            display_title="Reminder Sent",
            display_subtitle="Customer notified 1 hour before appointment"
        )


@event_workflow("appointment_due", offset=timedelta(minutes=-60), name="second_reminder")
class SecondReminder:
    """A second listener on the same event and offset."""

    @step(start=True)
    def send(self):
        return complete()


@event_workflow("appointment_due", offset=relativedelta(months=1))
class FollowUp:
    @step(start=True)
    def follow_up(self):
        CALLS.append(f"follow-up for appointment {get_context().entity_id}")
        return complete()


@event_workflow("appointment_due")
class AtAppointment:
    class Context(BaseModel):
        entity_id: int
        event_at: str = ""

    @classmethod
    def create_context(cls, event=None):
        return cls.Context(entity_id=event.entity_id, event_at=event.at.isoformat())

    @step(start=True)
    def check_in(self):
        return complete()


@workflow("order_payment")
class OrderPaymentWorkflow:
    class Context(BaseModel):
        entity_id: int
        event_id: Optional[int] = None
        event_name: str = ""
        fulfilled: bool = False
        cancelled: bool = False

    @step(start=True)
    def wait_for_payment(self):
        # Wait for payment_received event to occur
        return wait_for_event(
            "payment_received",
            timeout=timedelta(hours=48),
            on_timeout="cancel_order"
        )

    @step()
    def process_payment(self):
        ctx = get_context()
        CALLS.append(f"payment {ctx.event_id} for order {ctx.entity_id}")
        return goto(self.fulfill_order)

    @step()
    def fulfill_order(self):
        get_context().fulfilled = True
        return complete()

    @step()
    def cancel_order(self):
        get_context().cancelled = True
        return complete()


@workflow("account_signup")
class AccountSignupWorkflow:
    """A parent bound to a user (Context ``entity_id``); its verification child inherits it."""

    class Context(BaseModel):
        email: str
        entity_id: int
        active_subworkflow_run_id: Optional[int] = None

    @step(start=True)
    def verify_email(self):
        ctx = get_context()
        return run_subflow(
            EmailVerificationWorkflow,
            on_complete=self.after_verification,
            email=ctx.email
        )

    @step()
    def after_verification(self, subflow_result: SubflowResult):
        if not subflow_result.context.verified:
            return fail("Email verification failed")
        return complete()


EVENT_WORKFLOWS = [OrderProcessingWorkflow, PreAppointmentReminder, SecondReminder, FollowUp,
                   AtAppointment, OrderPaymentWorkflow, AccountSignupWorkflow]
