"""Issue 15 point 3: a broadcast signal's grouped path (``engine/fastsignal.py``, PostgreSQL)
leaves exactly what the per-instance path (``engine/resuming.py``) leaves: run rows, history
rows, Context data, hand-offs, the outcome, and the same error for a payload it rejects.

Each test builds the same runs twice, signals them once per path under a frozen clock, and
compares. On SQLite both calls take the per-instance path (the fallback), so the tests pass
there too and show the fallback is intact.
"""

from __future__ import annotations

import datetime as dt
import re
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pydantic import BaseModel, Field, field_validator

from django_ai.automation.workflows import clock
from django_ai.automation.workflows.core import (
    Limit,
    complete,
    engine,
    step,
    wait,
    wait_for_event,
)
from django_ai.automation.workflows.core import workflow as declare
from django_ai.automation.workflows.engine import fastsignal
from django_ai.automation.workflows.errors import SignalPayloadError
from django_ai.automation.workflows.models import StepExecution, WorkflowRun
from tests.test_query_counts import Collector, statements

MOMENT = dt.datetime(2031, 5, 4, 3, 2, 1, 123456, tzinfo=dt.UTC)


@declare("fs_plain")
class PlainWorkflow:
    class Context(BaseModel):
        note: str = ""
        n: int = 0
        score: float = 0.0

    @step(start=True)
    def wait_here(self):
        return wait.for_signal("fs-go", timeout=dt.timedelta(hours=1))

    @step()
    def after(self):
        return complete()


@declare("fs_checked")
class CheckedWorkflow:
    """A validator and a default_factory: validated run by run."""

    class Context(BaseModel):
        note: str = ""
        token: str = Field(default_factory=lambda: "t" * 4)

        @field_validator("note")
        @classmethod
        def shout(cls, value: str) -> str:
            return value.upper()

    @step(start=True)
    def wait_here(self):
        return wait.for_signal("fs-go")

    @step()
    def after(self):
        return complete()


@declare("fs_limited")
class LimitedWorkflow:
    class Context(BaseModel):
        note: str = ""
        tenant_id: str = "t"

    @step(start=True)
    def wait_here(self):
        return wait.for_signal("fs-go")

    @step(limit=Limit(concurrency=1, key="tenant_id"))
    def after(self):
        return complete()


@declare("fs_event_next")
class EventNextWorkflow:
    """Resumes at a step that suspends on entry (an event wait)."""

    class Context(BaseModel):
        note: str = ""

    @step(start=True)
    def wait_here(self):
        return wait.for_signal("fs-go")

    @step()
    @wait_for_event("fs-event")
    def paid(self):
        return complete()


@pytest.fixture
def collector(transactional_db, settings):
    from django_ai.automation.workflows.backends import set_backend_override

    settings.DJANGO_AI = {"SIGNAL_BATCH_SIZE": 4}
    backend = Collector()
    set_backend_override(backend)
    clock.set_override(lambda: MOMENT)
    yield backend
    clock.set_override(None)
    set_backend_override(None)
    fastsignal.ENABLED = True


def _start(collector: Collector, name: str, **kwargs) -> WorkflowRun:
    run = engine.start(name, **kwargs)
    collector.drain()
    return run


def _mixed(collector: Collector) -> list[WorkflowRun]:
    """Runs of every kind a broadcast meets, in id order."""
    runs = [_start(collector, "fs_plain", note=note) for note in ("a", "a", "b", "")]
    runs += [_start(collector, "fs_checked", note="x") for _ in range(2)]
    runs += [_start(collector, "fs_limited") for _ in range(2)]
    runs.append(_start(collector, "fs_event_next"))
    odd = [_start(collector, "fs_plain") for _ in range(5)]
    runs += odd
    # Saved before field ``n`` existed: the merge adds it, so it is not ``data | updates``.
    WorkflowRun.objects.filter(pk=odd[0].pk).update(data={"note": "old", "score": 1.0})
    # Rolling deploys: a resume step and a workflow this process does not know.
    WorkflowRun.objects.filter(pk=odd[1].pk).update(resume_step="nowhere")
    WorkflowRun.objects.filter(pk=odd[2].pk).update(name="fs_gone")
    # A waiting step whose body has not run yet (resumes at the same step).
    WorkflowRun.objects.filter(pk=odd[3].pk).update(resume_step="wait_here", attempt=2,
                                                   error="earlier")
    WorkflowRun.objects.filter(pk=odd[4].pk).update(waiting_for="fs-other")  # not reached
    return runs


def _snapshot(runs: list[WorkflowRun], collector: Collector) -> dict:
    """Everything the call left, with ids as positions in ``runs``."""
    at = {run.pk: index for index, run in enumerate(runs)}
    skip = {"id", "created_at", "updated_at"}
    rows = []
    for run in WorkflowRun.objects.filter(pk__in=at).order_by("pk"):
        row = {f.attname: getattr(run, f.attname) for f in WorkflowRun._meta.concrete_fields
               if f.attname not in skip}
        rows.append({**row, "error": _positions(row["error"], runs)})
    # created_at is auto_now_add: the wall clock, not the engine's (frozen) one.
    history = [
        (at[row.run_id], row.step_name, row.status, _positions(row.error, runs), row.attempt,
         row.segments, row.created_at is not None and row.created_at != MOMENT)
        for row in StepExecution.objects.filter(run_id__in=at).order_by("run_id", "id")
    ]
    handed = sorted((at[pk], step, seq) for pk, step, seq in collector.steps)
    return {"runs": rows, "history": history, "handed": handed}


def _twice(collector: Collector, build, payload: dict) -> tuple[dict, dict]:
    """Build the runs, signal them with one path, snapshot; clear; again with the other."""
    found = {}
    for enabled in (False, True):
        WorkflowRun.objects.all().delete()
        runs = build(collector)
        collector.steps.clear()
        fastsignal.ENABLED = enabled
        try:
            outcome = engine.signal("fs-go", payload)
            found[enabled] = {"outcome": (int(outcome), outcome.kept),
                              **_snapshot(runs, collector)}
        except SignalPayloadError as exc:
            found[enabled] = {"error": _positions(str(exc), runs),
                              **_snapshot(runs, collector)}
    return found[False], found[True]


def _diff(slow: dict, fast: dict) -> str:
    """The entries that differ, for a readable failure."""
    lines = []
    for key in slow:
        if not isinstance(slow[key], list) or len(slow[key]) != len(fast.get(key, [])):
            if slow[key] != fast.get(key):
                lines.append(f"{key}: {slow[key]!r} != {fast.get(key)!r}")
            continue
        for index, (old, new) in enumerate(zip(slow[key], fast[key], strict=True)):
            if old != new and isinstance(old, dict):
                old, new = ({k: v for k, v in d.items() if old[k] != new[k]} for d in (old, new))
            if old != new:
                lines.append(f"{key}[{index}]: {old!r} != {new!r}")
    return "\n".join(lines)


def _positions(text: str, runs: list[WorkflowRun]) -> str:
    """``text`` with run ids written as positions in ``runs`` (ids differ between builds)."""
    at = {run.pk: index for index, run in enumerate(runs)}
    return re.sub(r"\brun (\d+)\b", lambda m: f"run #{at.get(int(m[1]), '?')}", text)


def test_a_mixed_broadcast_leaves_the_same_rows_either_way(collector):
    slow, fast = _twice(collector, _mixed, {"note": "go", "n": 7})
    assert fast == slow, _diff(slow, fast)
    assert slow["outcome"] == (11, 2)  # two set aside for a process that knows their code
    assert len(slow["history"]) > 8 and len(slow["handed"]) >= 9


def test_uniform_runs_leave_the_same_rows_either_way(collector):
    def build(collector):
        return [_start(collector, "fs_plain", note=str(n % 3)) for n in range(10)]

    with mock.patch.object(fastsignal, "merged_context", wraps=fastsignal.merged_context) as merge:
        slow, fast = _twice(collector, build, {"note": "go"})
    assert fast == slow, _diff(slow, fast)
    # Three distinct saved Contexts in batches of 4 (0 1 2 0 | 1 2 0 1 | 2 0): one validation
    # per batch and saved data, run by run for none of them.
    assert merge.call_count == (3 + 3 + 2 if connection.vendor == "postgresql" else 0)
    assert slow["outcome"] == (10, 0)
    run = slow["runs"][0]
    assert run["status"] == "running" and run["current_step"] == "after"
    assert run["data"] == {"note": "go", "n": 0, "score": 0.0} and run["step_log"] == []
    assert slow["history"][0][5]  # the step's log moved into the history row


def test_an_empty_payload_leaves_the_same_rows_either_way(collector):
    slow, fast = _twice(collector, _mixed, {})
    assert fast == slow, _diff(slow, fast)
    assert slow["outcome"] == (11, 2)


@pytest.mark.parametrize("payload", [
    {"note": "go", "n": "seven"},  # does not fit
    {"note": "go", "typo": 1},  # a key no reached Context declares
    {"score": float("nan")},  # cannot be stored
    {"note": "go\x00"} if connection.vendor == "postgresql" else {"score": float("inf")},
])
def test_a_rejected_payload_changes_nothing_either_way(collector, payload):
    slow, fast = _twice(collector, _mixed, payload)
    assert fast == slow, _diff(slow, fast)
    assert "error" in slow
    assert slow["handed"] == []


def test_a_broken_saved_context_fails_that_run_either_way(collector):
    def build(collector):
        runs = [_start(collector, "fs_plain", note="a") for _ in range(6)]
        WorkflowRun.objects.filter(pk=runs[2].pk).update(
            data={"note": "a", "n": "twelve"}, context_fingerprint="0" * 16)
        return runs

    slow, fast = _twice(collector, build, {"note": "go"})
    assert fast == slow, _diff(slow, fast)
    assert slow["outcome"] == (5, 0)
    assert slow["runs"][2]["status"] == "failed"


def test_within_limits_the_broadcast_either_way(collector):
    def build(collector):
        return [_start(collector, "fs_plain", note=str(n)) for n in range(6)]

    found = {}
    for enabled in (False, True):
        WorkflowRun.objects.all().delete()
        runs = build(collector)
        collector.steps.clear()
        fastsignal.ENABLED = enabled
        within = WorkflowRun.objects.filter(pk__in=[runs[1].pk, runs[4].pk])
        outcome = engine.signal("fs-go", {"note": "go"}, within=within)
        found[enabled] = (int(outcome), _snapshot(runs, collector))
    assert found[True] == found[False] and found[True][0] == 2


def test_the_grouped_path_takes_two_statements_a_batch(collector):
    for n in range(10):
        _start(collector, "fs_plain", note=str(n % 2))
    collector.steps.clear()
    with CaptureQueriesContext(connection) as captured:
        assert engine.signal("fs-go", {"note": "go"}) == 10
    data, _control = statements(captured)
    if connection.vendor == "postgresql":  # batches of 4: lock, then one INSERT+UPDATE each
        assert len(data) == 6, data
        assert all("FOR UPDATE" in text for text in data[::2]), data
        assert all(text.startswith("WITH") for text in data[1::2]), data
    assert len(collector.steps) == 10
