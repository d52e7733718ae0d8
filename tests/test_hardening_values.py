"""Issue 10, points 1 and 3: values the database cannot store, and a Context a step leaves
invalid, fail the run once, at that step, naming the field (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.errors import (
    ContextError,
    SignalPayloadError,
    UnstorableValueError,
)
from django_ai.automation.workflows.models import StepExecution, WorkflowRun, WorkflowStatus
from tests import hardening_flows as flows


@pytest.fixture(autouse=True)
def _calls():
    flows.CALLS.clear()


def _postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.mark.parametrize(("mode", "field", "problem"), [
    ("inf", "amount", "inf"),
    ("nan", "amount", "nan"),
    ("nested", "prices.tiers.1", "-inf"),
    ("huge", "count", "more than 4300 digits"),
    ("wrong_type", "count", "Input should be a valid integer"),
])
def test_a_step_that_leaves_an_unstorable_or_invalid_context_fails_once_at_that_step(
        tm, mode, field, problem):
    run = engine.start("hard_values", mode=mode)

    run.refresh_from_db()
    assert run.status == WorkflowStatus.FAILED
    assert "Step 'compute' of workflow 'hard_values'" in run.error
    assert f"field {field!r}" in run.error
    assert problem in run.error
    assert "not retried" in run.error
    # Once, although the workflow allows three attempts; the next step never ran.
    assert flows.CALLS == ["compute"]
    rows = list(StepExecution.objects.filter(run=run).values_list("step_name", "status"))
    assert rows == [("compute", "failed")]
    # @on_fail ran on the last saved Context, and its changes were saved.
    assert run.data["compensated"] is True
    assert run.data["amount"] == 0.0
    assert run.redeliveries == 0


def test_a_nul_character_fails_the_step_on_postgresql_and_is_kept_on_sqlite(tm):
    run = engine.start("hard_values", mode="nul")
    run.refresh_from_db()
    if _postgres():
        assert run.status == WorkflowStatus.FAILED
        assert "field 'note' contains a NUL character" in run.error
        assert flows.CALLS == ["compute"]
    else:
        assert run.status == WorkflowStatus.COMPLETED
        assert run.data["note"] == "a\x00b"


def test_a_nul_character_in_a_failure_reason_is_spelt_out(tm):
    run = engine.start("hard_values", mode="fail_nul")
    run.refresh_from_db()
    assert run.status == WorkflowStatus.FAILED
    assert run.error == "bad \\x00 reason"
    assert StepExecution.objects.get(run=run).error == "bad \\x00 reason"


def test_cancel_reason_with_a_nul_character_is_stored(tm):
    run = engine.start("hard_waiter")
    assert engine.cancel(run.pk, reason="by \x00 mistake")
    run.refresh_from_db()
    assert run.status == WorkflowStatus.CANCELLED
    assert run.error == "by \\x00 mistake"


@pytest.mark.parametrize("kwargs", [{"amount": float("inf")}, {"count": 10**5000}])
def test_start_with_an_unstorable_value_creates_nothing_and_names_the_field(tm, kwargs):
    with pytest.raises(UnstorableValueError, match="Workflow 'hard_values'") as raised:
        engine.start("hard_values", **kwargs)
    assert f"field {next(iter(kwargs))!r}" in str(raised.value)
    assert isinstance(raised.value, ValueError)
    assert WorkflowRun.objects.count() == 0


def test_start_with_nul_on_postgresql_creates_nothing(tm):
    if not _postgres():
        pytest.skip("SQLite stores NUL characters")
    with pytest.raises(UnstorableValueError, match="field 'note' contains a NUL"):
        engine.start("hard_values", note="x\x00")
    assert WorkflowRun.objects.count() == 0


@pytest.mark.parametrize("payload", [{"amount": float("inf")}, {"amount": float("nan")}])
def test_a_signal_payload_the_database_cannot_store_is_rejected_and_changes_nothing(
        tm, payload):
    runs = [engine.start("hard_waiter") for _ in range(2)]
    with pytest.raises(SignalPayloadError, match="field 'amount'"):
        engine.signal("hard-go", payload)
    for run in runs:
        run.refresh_from_db()
        assert run.status == WorkflowStatus.SUSPENDED
        assert run.data["amount"] == 0.0


def test_a_nul_in_a_signal_payload_is_rejected_on_postgresql(tm):
    run = engine.start("hard_waiter")
    if not _postgres():
        assert engine.signal("hard-go", {"note": "a\x00"}, run_id=run.pk) == 1
        return
    with pytest.raises(SignalPayloadError, match="field 'note' contains a NUL"):
        engine.signal("hard-go", {"note": "a\x00"}, run_id=run.pk)
    run.refresh_from_db()
    assert run.status == WorkflowStatus.SUSPENDED


# Point 3: the in-flight hint only when the saved data really predates the code ----------

def _broken_waiter(tm, fingerprint: str | None) -> WorkflowRun:
    run = engine.start("hard_waiter")
    changes = {"data": {**run.data, "count": "not a number"}}
    if fingerprint is not None:
        changes["context_fingerprint"] = fingerprint
    WorkflowRun.objects.filter(pk=run.pk).update(**changes)
    engine.signal("hard-go", {"approved": True})
    run.refresh_from_db()
    return run


def test_data_saved_by_another_context_class_gets_the_in_flight_hint(tm):
    run = _broken_waiter(tm, fingerprint="0123456789abcdef")
    assert run.status == WorkflowStatus.FAILED
    assert "saved Context no longer fits WaiterWorkflow.Context" in run.error
    assert "was it changed while runs were in flight?" in run.error
    assert "field 'count'" in run.error


def test_data_changed_outside_the_workflow_does_not_blame_a_deploy(tm):
    run = _broken_waiter(tm, fingerprint=None)  # written by this very class
    assert run.status == WorkflowStatus.FAILED
    assert "in flight" not in run.error
    assert "WaiterWorkflow.Context is unchanged since the data was saved" in run.error
    assert "changed outside the workflow" in run.error


def test_data_saved_before_fingerprints_says_the_cause_is_unknown(tm):
    run = _broken_waiter(tm, fingerprint="")
    assert "in flight" not in run.error
    assert "whether WaiterWorkflow.Context changed since is unknown" in run.error


def test_every_save_records_the_context_fingerprint(tm):
    run = engine.start("hard_waiter")
    first = run.context_fingerprint
    assert len(first) == 16
    engine.signal("hard-go", {"approved": True})
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED
    assert run.context_fingerprint == first


def test_context_error_is_a_value_error_naming_workflow_and_field(tm):
    with pytest.raises(ContextError) as raised:
        engine.start("hard_waiter", count="many")
    message = str(raised.value)
    assert "Workflow 'hard_waiter' cannot start" in message
    assert "field 'count'" in message
    assert WorkflowRun.objects.count() == 0


def test_an_on_fail_handler_leaving_an_unstorable_value_does_not_block_the_failure(tm):
    run = engine.start("hard_bad_on_fail")
    run.refresh_from_db()
    assert run.status == WorkflowStatus.FAILED
    assert run.error == "nothing to do"
    assert run.data["total"] == 0.0  # the handler's changes were dropped, as for a raise


def test_the_fingerprint_ignores_validator_function_addresses():
    from typing import Annotated

    from pydantic import AfterValidator, BaseModel

    from django_ai.automation.workflows.engine.contextdata import fingerprint

    def shapes():
        def positive(value: int) -> int:  # a new function object (and address) each call
            return value

        class Context(BaseModel):
            count: Annotated[int, AfterValidator(positive)] = 0

        return Context

    assert fingerprint(shapes()) == fingerprint(shapes())
