"""Workflows with limits, shared by the limits tests."""

from datetime import timedelta

from pydantic import BaseModel

from django_ai.automation.workflows.core import Limit, Retry, complete, goto, step, workflow

ORDER: list[str] = []


@workflow("lim_import")
class ImportWorkflow:
    class Context(BaseModel):
        tenant_id: str
        label: str = ""

    @step(start=True)
    def begin(self):
        return goto(self.work)

    @step(limit=Limit(concurrency=2, key="tenant_id"))
    def work(self):
        from django_ai.automation.workflows.core import get_context

        ORDER.append(get_context().label)
        return goto(self.done)

    @step()
    def done(self):
        return complete()


@workflow("lim_whole", limit=Limit(concurrency=1, key="tenant_id"))
class WholeWorkflow:
    class Context(BaseModel):
        tenant_id: str

    @step(start=True)
    def first(self):
        return goto(self.second)

    @step()
    def second(self):
        return complete()


@workflow("lim_rate")
class RateWorkflow:
    class Context(BaseModel):
        api_key: str = "k"

    @step(start=True, limit=Limit(rate="2/m", key="api_key"))
    def call(self):
        return complete()


@workflow("lim_burst")
class BurstWorkflow:
    class Context(BaseModel):
        pass

    @step(start=True, limit=Limit(rate="60/h", burst=3))
    def call(self):
        return complete()


FLAKY_CALLS: list[str] = []


@workflow("lim_flaky")
class FlakyWorkflow:
    class Context(BaseModel):
        pass

    @step(start=True, limit=Limit(rate="1/m"),
          retry=Retry(max_attempts=3, base_delay=timedelta(seconds=1)))
    def call(self):
        FLAKY_CALLS.append("call")
        if len(FLAKY_CALLS) < 3:
            raise RuntimeError("429 Too Many Requests")
        return complete()


@workflow("lim_start_rate", limit=Limit(rate="1/m", key="tenant_id"))
class StartRateWorkflow:
    class Context(BaseModel):
        tenant_id: str = "t"

    @step(start=True)
    def go(self):
        return complete()
