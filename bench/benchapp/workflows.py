"""The workflows the benchmarks drive. Step bodies are trivial: the figures are engine cost."""

import time
from datetime import timedelta

from pydantic import BaseModel

from django_ai.automation.workflows.core import (
    Limit,
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


# Issue 13: limits. Bodies log their span (or entry time) to Redis, outside the database, so
# the bench can check the limit from what actually ran.
LIMIT_PER_KEY = 3
RATE_PER_MINUTE = 120


def _log_redis(list_key: str, value: str) -> None:
    from bench.workerapp import redis_client

    redis_client().rpush(list_key, value)


@workflow("bench_limited")
class LimitedWorkflow:
    """A first step, then a step holding a place (3 per key) for ``hold`` seconds."""

    class Context(BaseModel):
        key: str
        hold: float = 1.0

    @step(start=True)
    def begin(self):
        return goto(self.call)

    @step(limit=Limit(concurrency=LIMIT_PER_KEY, key="key"))
    def call(self):
        ctx = get_context()
        started = time.time()
        time.sleep(ctx.hold)
        _log_redis("bench:spans", f"{ctx.key} {started} {time.time()}")
        return complete()


@workflow("bench_rated")
class RatedWorkflow:
    """A step entered at most 120 times a minute (per key)."""

    class Context(BaseModel):
        key: str = "api"

    @step(start=True, limit=Limit(rate=f"{RATE_PER_MINUTE}/m", key="key"))
    def call(self):
        _log_redis("bench:entries", str(time.time()))
        return complete()


@workflow("bench_mixed")
class MixedWorkflow:
    """Unlimited steps in a workflow that also has a limited one (for the statement count)."""

    class Context(BaseModel):
        key: str = "k"
        n: int = 0

    @step(start=True)
    def s0(self):
        return goto(self.s1)

    @step()
    def s1(self):
        return goto(self.s2)

    @step()
    def s2(self):
        return goto(self.limited)

    @step(limit=Limit(concurrency=LIMIT_PER_KEY, rate="100000/m", key="key"))
    def limited(self):
        return complete()
