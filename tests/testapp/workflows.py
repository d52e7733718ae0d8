"""Workflows from the guide, declared at module level as a user's app would."""

from datetime import timedelta
from decimal import Decimal
from typing import Optional

from pydantic import BaseModel

from django_ai.automation.workflows.core import (
    Retry,
    SubflowResult,
    complete,
    fail,
    get_context,
    goto,
    on_fail,
    run_subflow,
    sleep,
    step,
    wait,
    wait_for_event,
    workflow,
)
from django_ai.automation.workflows.models import WorkflowRun, WorkflowStatus

from .models import Ledger

CALLS: list[str] = []


@workflow("sample_user_onboarding")
class UserOnboardingWorkflow:
    class Context(BaseModel):
        user_id: int
        email_sent: bool = False
        profile_completed: bool = False

    @classmethod
    def create_context(cls, user_id: int):
        return cls.Context(user_id=user_id)

    @step(start=True)
    def send_welcome_email(self):
        ctx = get_context()
        ctx.email_sent = True
        return complete()


@workflow("sample_order_fulfillment")
class OrderFulfillmentWorkflow:
    class Context(BaseModel):
        order_id: int
        payment_confirmed: bool = False
        items_reserved: bool = False
        shipped: bool = False

    @step(start=True)
    def confirm_payment(self):
        ctx = get_context()
        ctx.payment_confirmed = True
        return goto(self.reserve_inventory)

    @step()
    def reserve_inventory(self):
        ctx = get_context()
        ctx.items_reserved = True
        return goto(self.ship_order)

    @step()
    def ship_order(self):
        ctx = get_context()
        ctx.shipped = True
        return complete()


@workflow("sample_reminders")
class ReminderWorkflow:
    class Context(BaseModel):
        reminders_sent: int = 0
        escalated: bool = False

    @step(start=True)
    def send_reminder(self):
        ctx = get_context()
        ctx.reminders_sent += 1
        if ctx.reminders_sent < 3:
            return sleep(timedelta(hours=24))
        return goto(self.escalate)

    @step()
    def escalate(self):
        get_context().escalated = True
        return complete()


@workflow("sample_approvals")
class ApprovalWorkflow:
    class Context(BaseModel):
        approved: bool = False
        notes: str = ""
        status: str = ""

    @step(start=True)
    def wait_for_approval(self):
        return wait.for_signal("manager_approval")

    @step()
    def wait_with_timeout(self):
        return wait.for_signal(
            "user_response", timeout=timedelta(days=7), on_timeout="send_final_notice"
        )

    @step()
    def finish(self):
        return complete(status="answered")

    @step()
    def send_final_notice(self):
        return complete(status="expired")


@workflow("sample_review")
class ReviewWorkflow:
    class Context(BaseModel):
        reviewer_name: str = ""
        review_notes: str = ""
        approved: bool = False

    @step(start=True)
    def wait_for_review(self):
        return wait.for_signal("review_completed")

    @step()
    def process_review(self):
        ctx = get_context()
        CALLS.append(f"reviewed by {ctx.reviewer_name}")
        return complete(display_title="Reviewed", display_subtitle=ctx.review_notes)


@workflow("sample_flaky", default_retry=Retry(max_attempts=3, base_delay=timedelta(seconds=2)))
class FlakyWorkflow:
    class Context(BaseModel):
        fail_times: int = 2
        attempts_seen: int = 0

    @step(start=True)
    def call_api(self):
        ctx = get_context()
        CALLS.append("call_api")
        ctx.attempts_seen += 1
        Ledger.objects.create(run_id=0, note="attempt")
        if CALLS.count("call_api") <= ctx.fail_times:
            raise RuntimeError("API call failed: 503")
        return complete()


@workflow("sample_order_processing")
class OrderProcessingWorkflow:
    class Context(BaseModel):
        order_id: int
        charge_id: Optional[str] = None
        reservation_id: Optional[str] = None
        cleanup_performed: bool = False
        refunded: bool = False
        fail_shipping: bool = True

    @step(start=True)
    def charge_payment(self):
        ctx = get_context()
        ctx.charge_id = f"ch_{ctx.order_id}"
        return goto(self.reserve_inventory)

    @step()
    def reserve_inventory(self):
        ctx = get_context()
        ctx.reservation_id = f"res_{ctx.order_id}"
        return goto(self.ship_order)

    @step(retry=Retry(max_attempts=2, base_delay=timedelta(seconds=1)))
    def ship_order(self):
        ctx = get_context()
        if ctx.fail_shipping:
            raise ConnectionError("shipping service down")
        return complete()

    @on_fail
    def cleanup(self, run: WorkflowRun):
        completed = set(
            run.step_executions.filter(status="completed").values_list("step_name", flat=True)
        )
        ctx = get_context()
        ctx.cleanup_performed = True
        if "charge_payment" in completed and ctx.charge_id:
            CALLS.append(f"refund {ctx.charge_id}")
            ctx.refunded = True
        if "reserve_inventory" in completed and ctx.reservation_id:
            CALLS.append(f"release {ctx.reservation_id}")


@workflow("sample_send_notification")
class SendNotificationWorkflow:
    class Context(BaseModel):
        recipient_email: str
        message: str
        sent: bool = False

    @step(start=True)
    def send_email(self):
        ctx = get_context()
        if ctx.recipient_email == "bad@example.com":
            return fail("mailbox unavailable")
        ctx.sent = True
        return complete()


@workflow("sample_user_registration")
class UserRegistrationWorkflow:
    class Context(BaseModel):
        user_email: str
        user_id: int = 0
        active_subworkflow_run_id: Optional[int] = None

    @step(start=True)
    def create_user(self):
        ctx = get_context()
        ctx.user_id = 123
        return run_subflow(
            SendNotificationWorkflow,
            on_complete=self.after_notification,
            recipient_email=ctx.user_email,
            message="Welcome to our platform!",
        )

    @step()
    def after_notification(self, subflow_result: SubflowResult):
        if subflow_result.status == WorkflowStatus.COMPLETED:
            CALLS.append(f"email sent: {subflow_result.context.sent}")
            return complete()
        return fail(f"Notification failed: {subflow_result.error}")


@workflow("sample_payment_processing")
class PaymentWorkflow:
    class Context(BaseModel):
        amount: Decimal
        processed: bool = False

    @step(start=True)
    def process(self):
        ctx = get_context()
        ctx.processed = True
        return complete()


@workflow("sample_nested_fulfillment")
class FulfillmentWorkflow:
    class Context(BaseModel):
        order_id: int
        payment_complete: bool = False
        active_subworkflow_run_id: Optional[int] = None

    @step(start=True)
    def start_payment(self):
        return run_subflow(PaymentWorkflow, on_complete=self.after_payment,
                           amount=Decimal("99.99"))

    @step()
    def after_payment(self, subflow_result: SubflowResult):
        ctx = get_context()
        ctx.payment_complete = subflow_result.context.processed
        return complete()


@workflow("sample_order_management")
class OrderWorkflow:
    class Context(BaseModel):
        customer_id: int
        order_complete: bool = False
        active_subworkflow_run_id: Optional[int] = None

    @step(start=True)
    def start_fulfillment(self):
        return run_subflow(FulfillmentWorkflow, on_complete=self.finalize, order_id=456)

    @step()
    def finalize(self, subflow_result: SubflowResult):
        ctx = get_context()
        ctx.order_complete = subflow_result.context.payment_complete
        return complete()


@workflow("sample_email_verification")
class EmailVerificationWorkflow:
    class Context(BaseModel):
        email: str
        verification_code: str = ""
        verified: bool = False

    @step(start=True)
    def send_code(self):
        ctx = get_context()
        ctx.verification_code = "123456"
        return goto(self.wait_for_verification)

    @wait_for_event("email_verified", timeout=timedelta(hours=24))
    @step()
    def wait_for_verification(self):
        ctx = get_context()
        ctx.verified = True
        return complete()


# Registers the rules_*, guide_* and prod_* workflows.
from . import guide_extra, production, rules  # noqa: E402,F401
