"""More of the guide's snippets, completed with the Context and start step they omit."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from pydantic import BaseModel

from django_ai.automation.workflows.core import (
    complete,
    fail,
    get_context,
    goto,
    step,
    wait_for_event,
    workflow,
)


@workflow("guide_navigation")
class NavigationWorkflow:
    class Context(BaseModel):
        order_total: int
        approved_by_manager: bool = False
        all_validations_passed: bool = True
        final_status: str = ""
        completion_date: str = ""

    @step(start=True)
    def process_order(self):
        ctx = get_context()
        if ctx.order_total > 1000:
            return goto(self.require_approval)
        else:
            return goto(self.fulfill_immediately)

    @step()
    def require_approval(self):
        get_context().approved_by_manager = True
        return goto(self.fulfill_immediately)

    @step()
    def fulfill_immediately(self):
        return goto(self.final_step)

    @step()
    def final_step(self):
        ctx = get_context()
        if ctx.all_validations_passed:
            return complete(
                final_status="approved",
                completion_date=timezone.now().isoformat()
            )
        else:
            return fail("Validation failed: missing required documents")


@workflow("guide_data_merging")
class DataMergingWorkflow:
    class Context(BaseModel):
        calculated_total: Decimal = Decimal("12.50")
        final_total: Decimal = Decimal("0")
        completion_timestamp: str = ""
        order_status: str = "pending"

    @step(start=True)
    def finalize_order(self):
        ctx = get_context()
        return complete(
            final_total=ctx.calculated_total,
            completion_timestamp=timezone.now().isoformat(),
            order_status="completed",
            display_title="Order Complete!",
            display_subtitle=f"Total: ${ctx.calculated_total}"
        )


@workflow("guide_payment_wait")
class PaymentWaitWorkflow:
    class Context(BaseModel):
        entity_id: int
        event_id: int | None = None
        event_name: str = ""
        fulfilled: bool = False
        cancelled: bool = False

    @step(start=True)
    def wait_for_payment(self):
        return wait_for_event(
            "payment_received",
            timeout=timedelta(hours=48),
            on_timeout="cancel_order"
        )

    @step()
    def process_payment(self):
        ctx = get_context()
        assert ctx.event_name == "payment_received"
        return goto(self.fulfill_order)

    @step()
    def fulfill_order(self):
        get_context().fulfilled = True
        return complete()

    @step()
    def cancel_order(self):
        get_context().cancelled = True
        return complete()
