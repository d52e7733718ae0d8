"""The guide's shorter snippets (navigation, data merging, returned event waits)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowStatus


@pytest.mark.parametrize(("total", "approved"), [(1500, True), (200, False)])
def test_navigation_branches_on_context(tm, total, approved):
    run = engine.start("guide_navigation", order_total=total)
    assert run.status == WorkflowStatus.COMPLETED
    assert run.data["approved_by_manager"] is approved
    assert run.data["final_status"] == "approved"
    assert run.data["completion_date"] == tm.now.isoformat()


def test_validation_failure_fails_the_run(tm):
    run = engine.start("guide_navigation", order_total=10, all_validations_passed=False)
    assert run.status == WorkflowStatus.FAILED
    assert run.error == "Validation failed: missing required documents"


def test_complete_merges_typed_fields_and_display(tm):
    run = engine.start("guide_data_merging")
    assert run.data["final_total"] == "12.50"
    assert run.data["order_status"] == "completed"
    assert run.completion_display == {"display_title": "Order Complete!",
                                      "display_subtitle": "Total: $12.50"}
    assert Decimal(run.data["final_total"]) == Decimal("12.50")


def test_returned_event_wait_resumes_at_next_step_for_its_entity_only(tm):
    mine = engine.start("guide_payment_wait", entity_id=1)
    other = engine.start("guide_payment_wait", entity_id=2)
    assert mine.current_step_display["step_type"] == "waiting"
    woke = engine.wake_for_event("payment_received", "shop.order", 1,
                                 {"event_id": 77, "event_name": "payment_received",
                                  "entity_id": 1})
    assert woke == 1
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.status == WorkflowStatus.COMPLETED and mine.data["fulfilled"] is True
    assert mine.data["event_id"] == 77
    assert other.status == WorkflowStatus.SUSPENDED
    tm.advance(timedelta(hours=48))
    other.refresh_from_db()
    assert other.status == WorkflowStatus.COMPLETED and other.data["cancelled"] is True
    history = list(other.step_executions.values_list("step_name", flat=True))
    assert history == ["wait_for_payment", "cancel_order"]
