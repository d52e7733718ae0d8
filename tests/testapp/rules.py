"""Workflows that exercise each rule of SPEC sections 3–5 (names prefixed ``rules_``)."""

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
    step,
    wait,
    wait_for_event,
    workflow,
)

from .models import Ledger

LOG: list[str] = []


@workflow("rules_progress")
class ProgressWorkflow:
    class Context(BaseModel):
        final_status: str = ""

    @step(start=True)
    def step_one(self):
        return goto(self.step_two, progress=0.25)

    @step()
    def step_two(self):
        assert self.context is get_context()
        return goto("step_three", progress=0.5)

    @step()
    def step_three(self):
        return wait.for_signal("rules_go")

    @step()
    def step_four(self):
        return complete(final_status="approved", display_title="Done", nonsense=1)


@workflow("rules_mistakes", default_retry=Retry(max_attempts=5))
class MistakesWorkflow:
    class Context(BaseModel):
        mode: str
        compensated: bool = False

    @step(start=True)
    def decide(self):
        Ledger.objects.create(run_id=0, note="decide")
        if self.context.mode == "bad_goto":
            return goto("no_such_step")
        if self.context.mode == "none":
            return None
        if self.context.mode == "number":
            return 42
        if self.context.mode == "fail":
            return fail("Validation failed: missing required documents")
        if self.context.mode == "timeout":
            return goto(self.wait_short)
        return goto(self.last_wait)

    @step()
    def wait_short(self):
        return wait.for_signal("rules_never", timeout=timedelta(minutes=5))

    @step()
    def after_short(self):
        return complete()

    @step()
    def last_wait(self):
        return wait.for_signal("rules_dangling")

    @on_fail
    def compensate(self, run):
        get_context().compensated = True
        LOG.append(f"on_fail {run.pk}")


@workflow("rules_broken_on_fail", default_retry=Retry(max_attempts=1))
class BrokenOnFailWorkflow:
    class Context(BaseModel):
        touched: bool = False

    @step(start=True)
    def explode(self):
        raise ValueError("Boom!")

    @on_fail
    def cleanup(self, run):
        get_context().touched = True
        Ledger.objects.create(run_id=run.pk, note="from on_fail")
        raise RuntimeError("cleanup failed too")


@workflow("rules_backoff", default_retry=Retry(
    max_attempts=4, base_delay=timedelta(seconds=10), max_delay=timedelta(seconds=25),
    backoff_factor=2.0))
class BackoffWorkflow:
    class Context(BaseModel):
        pass

    @step(start=True)
    def always_fails(self):
        raise ConnectionError("down")


@workflow("rules_event_wait")
class EventWaitWorkflow:
    class Context(BaseModel):
        entity_id: int | None = None
        event_id: int | None = None
        event_name: str = ""
        body_ran: bool = False

    @wait_for_event("rules_oauth", timeout=timedelta(minutes=10),
                    display_title="Authorization Required",
                    display_subtitle="Please complete OAuth in the popup window",
                    display_waiting_for="OAuth authorization")
    @step(start=True)
    def wait_for_oauth(self):
        get_context().body_ran = True
        return complete()


@workflow("rules_leaf")
class LeafWorkflow:
    class Context(BaseModel):
        level: int = 0

    @step(start=True)
    def hold(self):
        return wait.for_signal("rules_release")

    @step()
    def done(self):
        return complete()


@workflow("rules_middle")
class MiddleWorkflow:
    class Context(BaseModel):
        entity_id: str | None = None
        active_subworkflow_run_id: int | None = None

    @step(start=True)
    def launch(self):
        return run_subflow(LeafWorkflow, on_complete=self.after, level=2)

    @step()
    def after(self, subflow_result):
        LOG.append(f"middle after {subflow_result.status}")
        return complete()


@workflow("rules_top")
class TopWorkflow:
    class Context(BaseModel):
        entity_id: str | None = None
        active_subworkflow_run_id: int | None = None
        results: list[str] = []

    @step(start=True)
    def launch(self):
        return run_subflow(MiddleWorkflow, on_complete=self.after)

    @step()
    def after(self, subflow_result):
        LOG.append(f"top after {subflow_result.status} {subflow_result.run_id}")
        get_context().results.append(f"{subflow_result.status}:{subflow_result.run_id}")
        if LOG.count("top fails once") == 0:
            LOG.append("top fails once")
            return fail("top looked at the result and failed")
        return complete()


@workflow("rules_bad_complete")
class BadCompleteWorkflow:
    class Context(BaseModel):
        count: int = 0

    @step(start=True)
    def finish(self):
        return complete(count="many")
