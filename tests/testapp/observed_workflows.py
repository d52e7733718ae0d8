"""Workflows the operator pages are tested with: one that does everything a timeline shows
(a retried attempt, a subworkflow, a sleep, a signal wait with a timeout, compensation), and a
30-step one for the graph's readability. Imported by the tests that use them."""

from datetime import timedelta

from pydantic import BaseModel

from django_ai.automation.workflows.core import (
    Retry,
    complete,
    fail,
    get_context,
    goto,
    on_fail,
    run_subflow,
    sleep,
    step,
    wait,
    workflow,
)

FLAKY: dict[int, int] = {}


@workflow("ops_payment")
class OpsPayment:
    class Context(BaseModel):
        amount: int = 0

    @step(start=True)
    def charge_card(self):
        return complete(display_title="Charged")


@workflow("ops_order", default_retry=Retry(max_attempts=3, base_delay=timedelta(seconds=30)))
class OpsOrder:
    class Context(BaseModel):
        order_id: int = 0
        validate_failures: int = 1
        slept: bool = False
        approved: bool = False

    @step(start=True, title="Receive order")
    def receive(self):
        return goto(self.validate, progress=0.1)

    @step()
    def validate(self):
        ctx = get_context()
        FLAKY[ctx.order_id] = FLAKY.get(ctx.order_id, 0) + 1
        if FLAKY[ctx.order_id] <= ctx.validate_failures:
            raise RuntimeError("inventory service answered 503")
        return goto(self.charge)

    @step()
    def charge(self):
        return run_subflow(OpsPayment, on_complete=self.after_payment, amount=42)

    @step()
    def after_payment(self, subflow_result):
        ctx = get_context()
        if not ctx.slept:
            ctx.slept = True
            return sleep(timedelta(hours=1))
        return goto(self.wait_approval, progress=0.6)

    @step()
    def wait_approval(self):
        return wait.for_signal("ops_approve", timeout=timedelta(days=2),
                               on_timeout=self.expire)

    @step(title="Ship parcel")
    def ship(self):
        return complete(display_title="Shipped")

    @step()
    def expire(self):
        return fail("approval expired")

    @on_fail
    def release_stock(self, run):
        pass


@workflow("ops_thirty_steps", default_retry=Retry(max_attempts=2))
class OpsThirtySteps:
    """30 steps with branches, loops back, waits and a failure exit."""

    class Context(BaseModel):
        branch: bool = False
        round: int = 0

    @step(start=True)
    def s01(self):
        return goto(self.s02)

    @step()
    def s02(self):
        return goto(self.s03)

    @step()
    def s03(self):
        return goto(self.s04)

    @step()
    def s04(self):
        return goto(self.s05)

    @step()
    def s05(self):
        if get_context().branch:
            return goto(self.s08)
        return goto(self.s06)

    @step()
    def s06(self):
        return goto(self.s07)

    @step()
    def s07(self):
        return goto(self.s08)

    @step()
    def s08(self):
        ctx = get_context()
        if ctx.round < 1:
            ctx.round += 1
            return goto(self.s04)
        return goto(self.s09)

    @step()
    def s09(self):
        return goto(self.s10)

    @step()
    def s10(self):
        return goto(self.s11)

    @step()
    def s11(self):
        return goto(self.s12)

    @step()
    def s12(self):
        return wait.for_signal("thirty_go", timeout=timedelta(hours=4), on_timeout=self.s29)

    @step()
    def s13(self):
        return goto(self.s14)

    @step()
    def s14(self):
        return goto(self.s15)

    @step()
    def s15(self):
        if get_context().branch:
            return goto(self.s18)
        return goto(self.s16)

    @step()
    def s16(self):
        return goto(self.s17)

    @step()
    def s17(self):
        return goto(self.s18)

    @step()
    def s18(self):
        ctx = get_context()
        if ctx.round < 1:
            ctx.round += 1
            return goto(self.s14)
        return goto(self.s19)

    @step()
    def s19(self):
        return goto(self.s20)

    @step()
    def s20(self):
        return sleep(timedelta(minutes=5)) if not get_context().branch else goto(self.s21)

    @step()
    def s21(self):
        return goto(self.s22)

    @step()
    def s22(self):
        return goto(self.s23)

    @step()
    def s23(self):
        if get_context().round > 5:
            return fail("too many rounds")
        return goto(self.s24)

    @step()
    def s24(self):
        return goto(self.s25)

    @step()
    def s25(self):
        if get_context().branch:
            return goto(self.s28)
        return goto(self.s26)

    @step()
    def s26(self):
        return goto(self.s27)

    @step()
    def s27(self):
        return goto(self.s28)

    @step()
    def s28(self):
        ctx = get_context()
        if ctx.round < 1:
            ctx.round += 1
            return goto(self.s24)
        return goto(self.s29)

    @step()
    def s29(self):
        return goto(self.s30)

    @step()
    def s30(self):
        return complete()
