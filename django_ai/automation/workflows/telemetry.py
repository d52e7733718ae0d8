"""OpenTelemetry traces and metrics for runs (the optional ``otel`` extra).

One span per step attempt (``workflow.step <name>``), a child of the trace that started the
run: ``engine.start`` stores the caller's W3C trace context on the run, and every worker reads
it back from the run row, so the link survives Celery hand-offs, timers and restarts without
any message header. Spans are recorded when an attempt ends, with its real start and end time.

Metrics: ``django_ai.steps`` (counter by workflow, step, outcome), ``django_ai.step.failures``
(counter), ``django_ai.step.duration``, ``django_ai.timer.lateness`` and
``django_ai.delivery.lag`` (histograms, seconds).

When ``opentelemetry-api`` is not installed (or ``DJANGO_AI["OPENTELEMETRY"]`` is False),
``ENABLED`` is False and the engine's only cost is reading that flag.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

try:
    from opentelemetry import metrics, propagate, trace
except ImportError:  # the extra is not installed
    trace = metrics = propagate = None

INSTRUMENTATION = "django_ai.workflows"
ENABLED: bool = trace is not None
_instruments: dict[str, Any] = {}


def configure(enabled: bool) -> None:
    """Turn telemetry on or off (``AppConfig.ready`` applies the setting; tests flip it)."""
    global ENABLED
    ENABLED = enabled and trace is not None
    _instruments.clear()


def _ns(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000_000)


def current_context() -> dict[str, str]:
    """The caller's trace context as W3C headers (empty when no trace is active)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def _instrument(kind: str, name: str, **options: Any) -> Any:
    # Created lazily so a MeterProvider installed after start-up (tests, late setup) is used.
    key = f"{kind}:{name}"
    if key not in _instruments:
        meter = metrics.get_meter(INSTRUMENTATION)
        factory = meter.create_counter if kind == "counter" else meter.create_histogram
        _instruments[key] = factory(name, **options)
    return _instruments[key]


def step_attempt(run: Any, step: str, attempt: int, started: datetime, ended: datetime,
                 outcome: str, error: str = "") -> None:
    """Record one finished attempt of ``step``: its span, counters and duration."""
    parent = propagate.extract(run.trace_context or {})
    attributes = {"workflow.run_id": run.pk, "workflow.name": run.name, "workflow.step": step,
                  "workflow.attempt": attempt, "workflow.outcome": outcome}
    tracer = trace.get_tracer(INSTRUMENTATION)
    span = tracer.start_span(f"workflow.step {step}", context=parent, start_time=_ns(started),
                             attributes=attributes)
    if error:
        span.set_status(trace.Status(trace.StatusCode.ERROR, error.splitlines()[0][:200]))
    span.end(end_time=_ns(ended))
    labels = {"workflow": run.name, "step": step, "outcome": outcome}
    _instrument("counter", "django_ai.steps", unit="1",
                description="Step attempts, by outcome").add(1, labels)
    if outcome in ("failed", "retry"):
        _instrument("counter", "django_ai.step.failures", unit="1",
                    description="Step attempts that raised or failed").add(1, labels)
    _instrument("histogram", "django_ai.step.duration", unit="s",
                description="Step attempt duration").record(
        max((ended - started).total_seconds(), 0.0), labels)


def timer_fired(run: Any, fired_at: datetime, due: datetime | None) -> None:
    """How late a timer (sleep, retry backoff, timeout, planned start) fired."""
    if due is None:
        return
    _instrument("histogram", "django_ai.timer.lateness", unit="s",
                description="Timer firing time minus due time").record(
        max((fired_at - due).total_seconds(), 0.0),
        {"workflow": run.name, "kind": str(run.wait_kind)})


def delivery_lag(run: Any, started: datetime) -> None:
    """Time from the transition that made a step runnable to its attempt starting."""
    _instrument("histogram", "django_ai.delivery.lag", unit="s",
                description="Runnable to attempt start").record(
        max((started - run.updated_at).total_seconds(), 0.0),
        {"workflow": run.name, "step": run.current_step})
