"""OpenTelemetry: a span per step attempt in the trace that started the run, and metrics.

Uses the SDK's in-memory exporter and metric reader; skipped without the ``otel`` extra.
"""

from datetime import timedelta

import pytest

pytest.importorskip("opentelemetry.sdk", reason="the otel extra is not installed")

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)

from django_ai.automation.workflows import telemetry
from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowRun
from tests.testapp import observed_workflows

EXPORTER = InMemorySpanExporter()
READER = InMemoryMetricReader()


@pytest.fixture(scope="module", autouse=True)
def providers():
    # The global providers can be set once per process: set them for this module's tests.
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
    trace.set_tracer_provider(provider)
    metrics.set_meter_provider(MeterProvider(metric_readers=[READER]))
    telemetry.configure(True)
    yield
    telemetry.configure(True)


@pytest.fixture(autouse=True)
def fresh():
    EXPORTER.clear()
    READER.get_metrics_data()  # drop what earlier tests recorded (cumulative sums stay)
    telemetry.configure(True)
    observed_workflows.FLAKY.clear()


def step_spans():
    return [span for span in EXPORTER.get_finished_spans()
            if span.name.startswith("workflow.step")]


def points(name):
    data = READER.get_metrics_data()
    found = []
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == name:
                    found += list(metric.data.data_points)
    return found


def test_one_span_per_attempt_in_the_starting_trace(tm):
    tracer = trace.get_tracer("tests")
    with tracer.start_as_current_span("POST /orders") as request_span:
        run = engine.start("ops_order", order_id=1)
    tm.advance(timedelta(seconds=31))
    tm.advance(timedelta(hours=1, seconds=1))
    run.refresh_from_db()
    assert run.trace_context["traceparent"].split("-")[1] == format(
        request_span.get_span_context().trace_id, "032x")
    spans = [span for span in step_spans() if span.attributes["workflow.run_id"] == run.pk]
    names = [span.attributes["workflow.step"] for span in spans]
    assert names == ["receive", "validate", "validate", "charge", "after_payment",
                     "after_payment", "wait_approval"]
    trace_id = request_span.get_span_context().trace_id
    assert {span.context.trace_id for span in spans} == {trace_id}
    assert {span.parent.span_id for span in spans} == {request_span.get_span_context().span_id}
    failed, retried = spans[1], spans[2]
    assert failed.attributes["workflow.outcome"] == "retry"
    assert failed.status.status_code == trace.StatusCode.ERROR
    assert "503" in failed.status.description
    assert retried.attributes["workflow.attempt"] == 2
    assert retried.attributes["workflow.outcome"] == "goto"
    assert spans[4].attributes["workflow.outcome"] == "sleep"
    assert all(span.end_time >= span.start_time for span in spans)


def test_subworkflow_spans_join_the_parent_trace(tm):
    tracer = trace.get_tracer("tests")
    with tracer.start_as_current_span("start order") as request_span:
        run = engine.start("ops_order", order_id=2, validate_failures=0)
    tm.run_until_idle()
    child = WorkflowRun.objects.get(parent_run=run)
    assert child.trace_context == WorkflowRun.objects.get(pk=run.pk).trace_context
    child_spans = [span for span in step_spans()
                   if span.attributes["workflow.run_id"] == child.pk]
    assert [span.attributes["workflow.name"] for span in child_spans] == ["ops_payment"]
    assert child_spans[0].context.trace_id == request_span.get_span_context().trace_id


def test_metrics_for_steps_failures_lateness_and_lag(tm):
    run = engine.start("ops_order", order_id=3)
    tm.advance(timedelta(seconds=31))
    tm.advance(timedelta(hours=1, seconds=1))
    steps = points("django_ai.steps")
    by_outcome = {}
    for point in steps:
        if point.attributes["workflow"] == "ops_order":
            key = point.attributes["outcome"]
            by_outcome[key] = by_outcome.get(key, 0) + point.value
    assert by_outcome["retry"] >= 1 and by_outcome["goto"] >= 3 and by_outcome["sleep"] >= 1
    assert any(p.attributes["outcome"] == "retry" for p in points("django_ai.step.failures"))
    lateness = [p for p in points("django_ai.timer.lateness") if p.attributes["kind"] == "sleep"]
    assert lateness and lateness[0].count >= 1
    assert 0 <= lateness[0].max <= 1.5  # the sleep fired at most the advance's extra second late
    assert points("django_ai.delivery.lag")
    assert points("django_ai.step.duration")
    assert run.pk


def test_switched_off_records_nothing(tm):
    telemetry.configure(False)
    run = engine.start("ops_order", order_id=4, validate_failures=0)
    tm.run_until_idle()
    run.refresh_from_db()
    assert step_spans() == [] and run.trace_context == {}
