"""Workflows for the strictness tests (issue 10): steps that make the mistakes the engine
must catch, and waits for signals and events that reach runs of different shapes."""

from __future__ import annotations

import threading

from pydantic import BaseModel, ConfigDict, Field, create_model

from django_ai.automation.workflows.core import (
    Retry,
    complete,
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

CALLS: list[str] = []
# Set by the concurrency test: the child's last step holds its row lock until GATE opens.
GATE: threading.Event | None = None
ENTERED = threading.Event()


@workflow("hard_values", default_retry=Retry(max_attempts=3))
class ValuesWorkflow:
    class Context(BaseModel):
        mode: str = ""
        amount: float = 0.0
        note: str = ""
        count: int = 0
        prices: dict[str, list[float]] = {}
        compensated: bool = False

    @step(start=True)
    def compute(self):
        ctx = get_context()
        CALLS.append("compute")
        if ctx.mode == "inf":
            ctx.amount = float("inf")
        elif ctx.mode == "nan":
            ctx.amount = float("nan")
        elif ctx.mode == "nul":
            ctx.note = "a\x00b"
        elif ctx.mode == "nested":
            ctx.prices = {"tiers": [1.0, float("-inf")]}
        elif ctx.mode == "huge":
            ctx.count = 10**5000
        elif ctx.mode == "wrong_type":
            ctx.count = "three"
        elif ctx.mode == "fail_nul":
            return fail("bad \x00 reason")
        return goto(self.after)

    @step()
    def after(self):
        CALLS.append("after")
        return complete()

    @on_fail
    def compensate(self, run):
        get_context().compensated = True


@workflow("hard_waiter")
class WaiterWorkflow:
    class Context(BaseModel):
        approved: bool = False
        amount: float = 0.0
        note: str = ""
        count: int = 0

    @step(start=True)
    def wait_here(self):
        return wait.for_signal("hard-go")

    @step()
    def decide(self):
        CALLS.append(f"decide approved={get_context().approved}")
        return complete()


@workflow("hard_other_waiter")
class OtherWaiterWorkflow:
    """Waits for the same signal with a Context of another shape."""

    class Context(BaseModel):
        reason: str = ""

    @step(start=True)
    def wait_here(self):
        return wait.for_signal("hard-go")

    @step()
    def decide(self):
        return complete()


@workflow("hard_aliases")
class AliasWorkflow:
    class Context(BaseModel):
        model_config = ConfigDict(populate_by_name=True)
        days: int = Field(0, alias="nb-days")
        note: str = ""

    @step(start=True)
    def wait_here(self):
        return wait.for_signal("hard-alias")

    @step()
    def done(self):
        return complete()


@workflow("hard_extras")
class ExtrasWorkflow:
    """A Context that keeps any key (pydantic ``extra="allow"``)."""

    class Context(BaseModel):
        model_config = ConfigDict(extra="allow")
        note: str = ""

    @step(start=True)
    def wait_here(self):
        return wait.for_signal("hard-odd")

    @step()
    def done(self):
        return complete()


OddContext = create_model(
    "OddContext", **{'it\'s "quoted"': (int, 0), "a.b": (int, 0), "with space": (int, 0),
                     "café": (int, 0), "plain": (int, 0)})


@workflow("hard_odd_names")
class OddNamesWorkflow:
    Context = OddContext

    @step(start=True)
    def wait_here(self):
        return wait.for_signal("hard-odd")

    @step()
    def done(self):
        return complete()


@workflow("hard_event_waiter")
class EventWaiterWorkflow:
    class Context(BaseModel):
        count: int = 0
        event_name: str = ""

    @step(start=True)
    def wait_here(self):
        return wait_for_event("hard_event")

    @step()
    def done(self):
        return complete()


@workflow("hard_child")
class ChildWorkflow:
    class Context(BaseModel):
        note: str = ""

    @step(start=True)
    def wait_here(self):
        return wait.for_signal("hard-child-go")

    @step()
    def finish(self):
        if GATE is not None:
            ENTERED.set()
            GATE.wait(timeout=20)
        CALLS.append("child finished")
        return complete()


@workflow("hard_parent")
class ParentWorkflow:
    class Context(BaseModel):
        child_status: str = ""

    @step(start=True)
    def launch(self):
        return run_subflow(ChildWorkflow, on_complete=self.after_child)

    @step()
    def after_child(self, subflow_result):
        get_context().child_status = str(subflow_result.status)
        return complete()


@workflow("hard_bad_parent")
class BadParentWorkflow:
    class Context(BaseModel):
        pass

    @step(start=True)
    def launch(self):
        return run_subflow(ChildWorkflow, on_complete=self.after, notte="typo")

    @step()
    def after(self, subflow_result):
        return complete()


@workflow("hard_bad_on_fail")
class BadOnFailWorkflow:
    """Its @on_fail handler leaves a value the database cannot store."""

    class Context(BaseModel):
        total: float = 0.0

    @step(start=True)
    def work(self):
        return fail("nothing to do")

    @on_fail
    def compensate(self, run):
        get_context().total = float("inf")
