"""Workflows for the integration tier; the worker imports this module (CELERY_IMPORTS).

Steps that matter for exactly-once write a ``Ledger`` row (the user's own table) tagged with the
run id and step, so a test can count how often a committed step body ran.
"""

import os
import time
from datetime import timedelta

from pydantic import BaseModel

from django_ai.automation.workflows.core import (
    Limit,
    Retry,
    SubflowResult,
    complete,
    get_context,
    goto,
    run_subflow,
    sleep,
    step,
    wait,
    workflow,
)
from django_ai.automation.workflows.runtime import current_run
from tests.testapp.models import Ledger


def record(note: str) -> None:
    Ledger.objects.create(run_id=current_run().pk, note=note)


@workflow("it_linear")
class LinearFlow:
    class Context(BaseModel):
        count: int = 0

    @step(start=True)
    def one(self):
        get_context().count += 1
        return goto(self.two)

    @step()
    def two(self):
        get_context().count += 1
        return goto(self.three)

    @step()
    def three(self):
        get_context().count += 1
        record("linear")
        return complete()


@workflow("it_sleeper")
class SleeperFlow:
    class Context(BaseModel):
        seconds: float = 1.0
        slept: bool = False

    @step(start=True)
    def nap(self):
        ctx = get_context()
        if ctx.slept:
            return goto(self.after)
        ctx.slept = True
        return sleep(timedelta(seconds=ctx.seconds))

    @step()
    def after(self):
        record("woke")
        return complete()


@workflow("it_signal")
class SignalFlow:
    class Context(BaseModel):
        timeout: float | None = None
        answer: str = ""
        timed_out: bool = False

    @step(start=True)
    def ask(self):
        seconds = get_context().timeout
        if seconds is None:
            return wait.for_signal("it_answer")
        return wait.for_signal("it_answer", timeout=timedelta(seconds=seconds),
                               on_timeout=self.expired)

    @step()
    def answered(self):
        record("answered")
        return complete()

    @step()
    def expired(self):
        get_context().timed_out = True
        record("expired")
        return complete()


@workflow("it_flaky")
class FlakyFlow:
    """Fails twice, succeeds on the third attempt (each failed attempt's write rolls back)."""

    class Context(BaseModel):
        done: bool = False

    @step(start=True, retry=Retry(max_attempts=3, base_delay=timedelta(milliseconds=200)))
    def attempt(self):
        record("attempt")
        if current_run().attempt < 2:
            raise RuntimeError("flaky on purpose")
        get_context().done = True
        return complete()


@workflow("it_leaf")
class LeafFlow:
    class Context(BaseModel):
        depth: int = 0

    @step(start=True)
    def leaf(self):
        record("leaf")
        return complete()


@workflow("it_middle")
class MiddleFlow:
    class Context(BaseModel):
        depth: int = 0

    @step(start=True)
    def spawn(self):
        return run_subflow(LeafFlow, on_complete=self.joined, depth=2)

    @step()
    def joined(self, subflow_result: SubflowResult):
        return complete()


@workflow("it_parent")
class ParentFlow:
    class Context(BaseModel):
        child_status: str = ""

    @step(start=True)
    def spawn(self):
        return run_subflow(MiddleFlow, on_complete=self.joined, depth=1)

    @step()
    def joined(self, subflow_result: SubflowResult):
        get_context().child_status = str(subflow_result.status)
        return complete()


@workflow("it_slow")
class SlowFlow:
    """A step that is mid-body for a while: the target of the SIGKILL test."""

    class Context(BaseModel):
        seconds: float = 2.0
        pidfile: str = ""  # the first attempt reports its process id here, then dawdles

    @step(start=True)
    def prepare(self):
        return goto(self.slow)

    @step()
    def slow(self):
        record("slow")
        ctx = get_context()
        if ctx.pidfile and not os.path.exists(ctx.pidfile):
            with open(ctx.pidfile, "w") as out:
                out.write(str(os.getpid()))
            time.sleep(60)
        time.sleep(ctx.seconds)
        return goto(self.finish)

    @step()
    def finish(self):
        return complete()


@workflow("it_busy")
class BusyFlow:
    """Step work to saturate workers: ``rounds`` steps of ``seconds`` each (the backlog)."""

    class Context(BaseModel):
        rounds: int = 10
        seconds: float = 0.5
        done: int = 0

    @step(start=True)
    def work(self):
        return self._round(self.more)

    @step()
    def more(self):
        return self._round(self.work)

    def _round(self, following):
        ctx = get_context()
        time.sleep(ctx.seconds)
        ctx.done += 1
        if ctx.done >= ctx.rounds:
            record("busy")
            return complete()
        return goto(following)


# --- Issue 12: early signals and rolling deploys -----------------------------------------
# A worker started with DJANGO_AI_TEST_OLD_CODE=1 runs "the previous release": it lacks the
# step ``it_rolling.added`` and the whole workflow ``it_added_flow``.
OLD_CODE = os.environ.get("DJANGO_AI_TEST_OLD_CODE") == "1"


@workflow("it_early")
class EarlyFlow:
    """The user clicks "approve" while ``prepare`` (the step before the wait) still runs."""

    class Context(BaseModel):
        seconds: float = 1.0
        approved: bool = False

    @step(start=True)
    def prepare(self):
        time.sleep(get_context().seconds)
        return goto(self.ask)

    @step()
    def ask(self):
        return wait.for_signal("it_approve")

    @step()
    def decide(self):
        record("early")
        return complete(display_title="approved" if get_context().approved else "rejected")


if OLD_CODE:

    @workflow("it_rolling")
    class RollingFlow:
        class Context(BaseModel):
            done_by: str = ""

        @step(start=True)
        def ask(self):
            return wait.for_signal("it_go")

        @step()
        def finish(self):
            return complete()

else:

    @workflow("it_rolling")
    class RollingFlow:  # type: ignore[no-redef]
        class Context(BaseModel):
            done_by: str = ""

        @step(start=True)
        def ask(self):
            return wait.for_signal("it_go")

        @step()
        def added(self):  # new in this release: the step a signal resumes at
            get_context().done_by = "new code"
            record("added")
            return goto(self.finish)

        @step()
        def finish(self):
            return complete()

    @workflow("it_added_flow")
    class AddedFlow:
        class Context(BaseModel):
            n: int = 0

        @step(start=True)
        def only(self):
            record("added_flow")
            return complete()


@workflow("it_limited")
class LimitedFlow:
    """At most two runs per tenant in ``work`` at once; each committed body logs its span."""

    class Context(BaseModel):
        tenant_id: str = "t"
        seconds: float = 1.0

    @step(start=True)
    def prepare(self):
        return goto(self.work)

    @step(limit=Limit(concurrency=2, key="tenant_id"))
    def work(self):
        started = time.time()
        time.sleep(get_context().seconds)
        record(f"span:{get_context().tenant_id}:{started}:{time.time()}")
        return goto(self.finish)

    @step()
    def finish(self):
        return complete()
