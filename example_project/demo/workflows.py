"""The demo's workflows. Each one shows a part of the guide; together they cover all of it.

* ``send_notification``: a small reusable subworkflow (used by onboarding and by orders).
* ``user_onboarding``: a subflow, then a signal wait with a timeout and a nudge loop.
* ``order_processing``: charge, wait for the payment event, reserve, ship; ``@on_fail``
  refunds and releases what was done when shipping fails for good.
* ``expense_approval``: an action step whose form is described by display metadata.
* ``appointment_reminder``: an event workflow that starts one hour *before* an appointment.
"""

from datetime import timedelta
from typing import Optional

from pydantic import BaseModel

from django_ai.automation.workflows.core import (
    Retry,
    SubflowResult,
    complete,
    event_workflow,
    fail,
    get_context,
    goto,
    on_fail,
    run_subflow,
    step,
    wait,
    wait_for_event,
    workflow,
)
from django_ai.automation.workflows.metadata import (
    FieldDisplayConfig,
    FieldGroup,
    StepDisplayMetadata,
)
from django_ai.automation.workflows.models import WorkflowRun, WorkflowStatus
from django_ai.automation.workflows.statezero_action import statezero_action

from . import services
from .models import Appointment, Notification
from .serializers import ReviewSerializer


@workflow("send_notification")
class SendNotificationWorkflow:
    """Reusable: puts one message in the outbox."""

    class Context(BaseModel):
        recipient_email: str
        message: str
        sent: bool = False

    @step(start=True)
    def send_email(self):
        ctx = get_context()
        # A database write inside a step happens exactly once: it commits with the step.
        Notification.objects.create(recipient_email=ctx.recipient_email, message=ctx.message)
        ctx.sent = True
        return complete()


@workflow("user_onboarding")
class UserOnboardingWorkflow:
    class Context(BaseModel):
        email: str
        full_name: str = ""
        email_sent: bool = False
        profile_completed: bool = False
        nudges_sent: int = 0
        active_subworkflow_run_id: Optional[int] = None

    @classmethod
    def create_context(cls, email: str):
        return cls.Context(email=email)

    @step(start=True, title="Send welcome email")
    def send_welcome_email(self):
        ctx = get_context()
        return run_subflow(
            SendNotificationWorkflow,
            on_complete=self.after_welcome,
            recipient_email=ctx.email,
            message="Welcome aboard! Finish your profile to get started.",
        )

    @step(title="Welcome email sent")
    def after_welcome(self, subflow_result: SubflowResult):
        if subflow_result.status != WorkflowStatus.COMPLETED:
            return fail(f"Welcome email failed: {subflow_result.error}")
        get_context().email_sent = subflow_result.context.sent
        return goto(self.wait_for_profile, progress=0.3)

    @step(title="Wait for the profile")
    def wait_for_profile(self):
        # Resumes at the next step written below (profile_done) when the signal arrives;
        # its payload (e.g. {"full_name": "Ada"}) is merged into the Context.
        return wait.for_signal(
            "profile_completed", timeout=timedelta(minutes=2), on_timeout="send_nudge"
        )

    @step(title="Profile completed")
    def profile_done(self):
        ctx = get_context()
        ctx.profile_completed = True
        return complete(
            display_title=f"Welcome, {ctx.full_name or ctx.email}!",
            display_subtitle="Onboarding is complete.",
        )

    @step(title="Nudge the user")
    def send_nudge(self):
        ctx = get_context()
        if ctx.nudges_sent >= 2:
            return fail("The user never completed their profile.")
        ctx.nudges_sent += 1
        Notification.objects.create(recipient_email=ctx.email,
                                    message="Your profile is still waiting for you.")
        return goto(self.wait_for_profile, progress=0.3 + 0.1 * ctx.nudges_sent)


@workflow("order_processing", default_retry=Retry(max_attempts=3,
                                                  base_delay=timedelta(seconds=2)))
class OrderProcessingWorkflow:
    class Context(BaseModel):
        # Named entity_id so the run is bound to its order: only this order's
        # payment_received event wakes it.
        entity_id: int
        customer_email: str
        charge_id: Optional[str] = None
        reservation_id: Optional[str] = None
        tracking_number: str = ""
        event_id: Optional[int] = None
        event_name: str = ""
        refunded: bool = False
        released: bool = False
        active_subworkflow_run_id: Optional[int] = None

    @classmethod
    def create_context(cls, order_id: int, customer_email: str):
        return cls.Context(entity_id=order_id, customer_email=customer_email)

    @step(start=True, title="Charge the card")
    def charge_payment(self):
        ctx = get_context()
        ctx.charge_id = services.charge(ctx.entity_id)
        return goto(self.wait_for_payment, progress=0.2)

    @step(title="Wait for the payment")
    def wait_for_payment(self):
        return wait_for_event(
            "payment_received",
            timeout=timedelta(minutes=10),
            on_timeout="cancel_order",
            display_title="Waiting for your payment",
            display_subtitle="The bank confirms card payments within a few minutes.",
            display_waiting_for="Payment confirmation",
        )

    @step(title="Payment received")
    def process_payment(self):
        # The event's data (event_id, event_name, entity_id) is now in the Context.
        return goto(self.reserve_inventory, progress=0.5)

    @step(title="Reserve stock")
    def reserve_inventory(self):
        ctx = get_context()
        ctx.reservation_id = services.reserve(ctx.entity_id)
        return goto(self.ship_order, progress=0.7)

    @step(title="Ship", retry=Retry(max_attempts=2, base_delay=timedelta(seconds=3)))
    def ship_order(self):
        ctx = get_context()
        ctx.tracking_number = services.ship(ctx.entity_id)  # may raise ShippingError
        return run_subflow(
            SendNotificationWorkflow,
            on_complete=self.finish,
            recipient_email=ctx.customer_email,
            message=f"Your order has shipped: tracking number {ctx.tracking_number}.",
        )

    @step(title="Done")
    def finish(self, subflow_result: SubflowResult):
        ctx = get_context()
        return complete(
            display_title="Order shipped! 🎉",
            display_subtitle=f"Order #{ctx.entity_id} is on its way ({ctx.tracking_number}).",
        )

    @step(title="Payment timed out")
    def cancel_order(self):
        return fail("Payment was not received in time.")

    @on_fail
    def compensate(self, run: WorkflowRun):
        """Undo what the completed steps did; safe to run twice."""
        completed = set(
            run.step_executions.filter(status="completed").values_list("step_name", flat=True)
        )
        ctx = get_context()
        if "charge_payment" in completed and ctx.charge_id and not ctx.refunded:
            services.refund(ctx.entity_id)
            ctx.refunded = True
        if "reserve_inventory" in completed and ctx.reservation_id and not ctx.released:
            services.release(ctx.entity_id)
            ctx.released = True


@workflow("expense_approval")
class ExpenseApprovalWorkflow:
    class Context(BaseModel):
        employee: str
        amount: str
        purpose: str
        decision: str = ""
        reviewer_notes: str = ""
        priority: str = "medium"

    @step(start=True, title="Submit")
    def start_review(self):
        return goto(self.await_review, progress=0.5)

    @statezero_action(name="submit_review", serializer=ReviewSerializer)
    @step(
        title="Manager review",
        display=StepDisplayMetadata(
            display_title="Review expense",
            display_description="Approve or reject this claim. The employee sees your notes.",
            field_groups=[
                FieldGroup(
                    display_title="Decision",
                    display_description="What happens to the claim",
                    field_names=["decision", "priority"],
                ),
                FieldGroup(
                    display_title="Notes",
                    display_description="Explain the decision in a sentence or two",
                    field_names=["reviewer_notes"],
                ),
            ],
            field_display_configs=[
                FieldDisplayConfig(
                    field_name="priority",
                    display_component="RadioGroup",
                    display_help_text="High priority claims are paid in the next payroll.",
                ),
                FieldDisplayConfig(
                    field_name="reviewer_notes",
                    display_component="TextArea",
                    display_help_text="At most 500 characters.",
                ),
            ],
        ),
    )
    def await_review(self, decision: str, priority: str, reviewer_notes: str):
        ctx = get_context()
        ctx.decision = decision
        ctx.priority = priority
        ctx.reviewer_notes = reviewer_notes
        if decision == "reject":
            return complete(display_title="Expense rejected",
                            display_subtitle=f"{ctx.employee} has been told why.")
        return complete(
            display_title="Expense approved",
            display_subtitle=f"{ctx.amount} for {ctx.purpose} will be paid to {ctx.employee}.",
        )


@event_workflow("appointment_due", offset=timedelta(minutes=-60), name="appointment_reminder")
class PreAppointmentReminder:
    """Starts one hour before each appointment (a negative offset)."""

    class Context(BaseModel):
        entity_id: int

    @step(start=True, title="Send reminder")
    def send_reminder(self):
        appointment = Appointment.objects.get(pk=get_context().entity_id)
        Notification.objects.create(
            recipient_email=appointment.customer_email,
            message=f"Reminder: your appointment starts at {appointment.starts_at:%H:%M} UTC.",
        )
        Appointment.objects.filter(pk=appointment.pk).update(reminded=True)
        return complete(
            display_title="Reminder sent",
            display_subtitle="Customer notified 1 hour before the appointment",
        )

