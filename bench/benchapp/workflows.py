"""The workflows the benchmarks drive. Step bodies are trivial: the figures are engine cost."""

import time
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

CHAIN_STEPS = 10


@workflow("bench_chain")
class ChainWorkflow:
    """Ten automated steps in a line: nine gotos and a complete."""

    class Context(BaseModel):
        n: int = 0

    @step(start=True)
    def s0(self):
        return goto(self.s1)

    @step()
    def s1(self):
        return goto(self.s2)

    @step()
    def s2(self):
        return goto(self.s3)

    @step()
    def s3(self):
        return goto(self.s4)

    @step()
    def s4(self):
        return goto(self.s5)

    @step()
    def s5(self):
        return goto(self.s6)

    @step()
    def s6(self):
        return goto(self.s7)

    @step()
    def s7(self):
        return goto(self.s8)

    @step()
    def s8(self):
        return goto(self.s9)

    @step()
    def s9(self):
        return complete()


@workflow("bench_signal")
class SignalWorkflow:
    """Waits for a signal; the resumed step records (wall clock) when it started."""

    class Context(BaseModel):
        started: float = 0.0

    @step(start=True)
    def wait_here(self):
        return wait.for_signal("bench-go")

    @step()
    def resumed(self):
        return complete(started=time.time())


@workflow("bench_sleep")
class SleepWorkflow:
    """Sleeps one second (a sleep runs the same step again); the second run records when it
    started, so lateness is that minus when it was due."""

    class Context(BaseModel):
        slept: bool = False
        due: float = 0.0
        started: float = 0.0

    @step(start=True)
    def nap(self):
        ctx = get_context()
        if not ctx.slept:
            ctx.slept = True
            # The engine sets wake_at a few microseconds after this: lateness is overstated
            # by that much, never understated.
            ctx.due = time.time() + 1
            return sleep(timedelta(seconds=1))
        return complete(started=time.time())
