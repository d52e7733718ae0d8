"""Workflows for starts and signals as production sends them (issue 12; names ``prod_``)."""

import threading
from datetime import timedelta

from pydantic import BaseModel

from django_ai.automation.workflows.core import (
    complete,
    get_context,
    goto,
    sleep,
    step,
    wait,
    workflow,
)

#: Set by a test to hold ``prod_early``'s first step until the test releases it.
GATE: dict[str, threading.Event] = {}


@workflow("prod_once")
class OnceWorkflow:
    class Context(BaseModel):
        order_id: int = 0

    @step(start=True)
    def wait_for_payment(self):
        return wait.for_signal("prod-paid")

    @step()
    def done(self):
        return complete()


@workflow("prod_quick")
class QuickWorkflow:
    class Context(BaseModel):
        order_id: int = 0

    @step(start=True)
    def only(self):
        return complete()


@workflow("prod_early")
class EarlyWorkflow:
    """The guide's shape: a step runs, then the run waits for a person's approval."""

    class Context(BaseModel):
        approved: bool = False
        note: str = ""
        prepared: bool = False

    @step(start=True)
    def prepare(self):
        started, release = GATE.get("started"), GATE.get("release")
        if started is not None and release is not None:
            started.set()
            release.wait(30)
        get_context().prepared = True
        return goto(self.ask)

    @step()
    def ask(self):
        return wait.for_signal("prod-approve")

    @step()
    def decide(self):
        ctx = get_context()
        return complete(display_title="approved" if ctx.approved else "rejected")


@workflow("prod_nudge")
class NudgeWorkflow:
    """Wait for an answer; on timeout send a nudge (which takes a while), then wait again."""

    class Context(BaseModel):
        answer: str = ""
        nudges: int = 0

    @step(start=True)
    def wait_for_answer(self):
        return wait.for_signal("prod-answer", timeout=timedelta(hours=1), on_timeout=self.nudge)

    @step()
    def answered(self):
        return complete(display_title=f"answer: {get_context().answer}")

    @step()
    def nudge(self):
        ctx = get_context()
        if ctx.nudges == 0:
            ctx.nudges = 1
            return sleep(timedelta(minutes=10))  # the nudge is on its way
        return goto(self.wait_for_answer)
