"""The user guide's complete examples, read from ``../shared/workflows-guide.md``, run as printed.

The guide is not ours to edit, so what it leaves out is supplied here and nowhere else: the
imports its examples assume (``BaseModel``, ``Optional``, ``WorkflowRun``…), stub services
(``payment_service``…) and, for the compensation example whose ``ship_order`` uses ``ctx``
without assigning it, a module-level ``ctx`` that stands for ``get_context()``. Each example
runs alone (several reuse a workflow name). Its fragments (methods without their class, code
reading a run you already have) are listed with the reason they cannot run on their own;
tests/test_guide_core.py and test_guide_snippets.py run them inside sample workflows.
"""

from __future__ import annotations

import linecache
import logging
import os
import textwrap
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional

import pytest
from django.utils import timezone
from pydantic import BaseModel
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from django_ai.automation.workflows import core, registry
from django_ai.automation.workflows.errors import WorkflowDefinitionError
from django_ai.automation.workflows.management.lint import lint
from django_ai.automation.workflows.metadata import (
    FieldDisplayConfig,
    FieldGroup,
    StepDisplayMetadata,
)
from django_ai.automation.workflows.models import StepExecution, WorkflowRun, WorkflowStatus
from django_ai.automation.workflows.statezero_action import statezero_action
from tests.docblocks import Block, blocks, run_python
from tests.docstubs import Service

# Beside the clone (as in CI), or wherever WORKFLOWS_GUIDE points (a worktree elsewhere).
GUIDE = Path(os.environ.get("WORKFLOWS_GUIDE")
             or Path(__file__).resolve().parents[2] / "shared" / "workflows-guide.md")
pytestmark = pytest.mark.skipif(
    not GUIDE.exists(), reason=f"the guide is read from {GUIDE}, which is not beside this clone")


class ContextProxy:
    """``ctx`` for a step that uses it without ``ctx = get_context()`` (the guide's ship_order)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(core.get_context(), name)


def assumed() -> dict[str, Any]:
    """What the guide's examples use without importing it, and the services they call."""
    names = {name: getattr(core, name) for name in core.__all__}
    names.update(
        BaseModel=BaseModel, Optional=Optional, timedelta=timedelta, Decimal=Decimal,
        timezone=timezone, serializers=serializers, Response=Response, api_view=api_view,
        WorkflowRun=WorkflowRun, WorkflowStatus=WorkflowStatus, StepExecution=StepExecution,
        StepDisplayMetadata=StepDisplayMetadata, FieldGroup=FieldGroup,
        FieldDisplayConfig=FieldDisplayConfig, statezero_action=statezero_action,
        logger=logging.getLogger("guide"), ctx=ContextProxy(),
        payment_service=Service("payment_service"),
        inventory_service=Service("inventory_service"),
        shipping_service=Service("shipping_service", failing=("ship",)),
    )
    for serializer in ("PropertyDetailsSerializer", "InfoSerializer"):
        names[serializer] = type(serializer, (serializers.Serializer,), {
            "workflow_run_id": serializers.IntegerField(required=False),
            "property_name": serializers.CharField(required=False),
            "property_type": serializers.CharField(required=False),
            "user_name": serializers.CharField(required=False),
        })
    return names


def guide_blocks() -> list[Block]:
    return [block for block in blocks(GUIDE) if block.lang == "python"] if GUIDE.exists() else []


def heading(block: Block) -> str:
    lines = GUIDE.read_text().splitlines()[:block.line]
    return next(line.lstrip("# ") for line in reversed(lines) if line.startswith("#"))


# --- What each complete example must do once run -------------------------------------------


def quick_start(ns: dict[str, Any], tm: Any) -> None:
    run = ns["run"]  # the example starts it itself
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED and run.data["email_sent"] is True


def multi_step(ns: dict[str, Any], tm: Any) -> None:
    run = core.engine.start("order_fulfillment", order_id=7)
    assert run.status == WorkflowStatus.COMPLETED
    assert run.data == {"order_id": 7, "payment_confirmed": True, "items_reserved": True,
                        "shipped": True}


def rich_display(ns: dict[str, Any], tm: Any) -> None:
    run = core.engine.start("property_onboarding")
    assert run.current_step_display["step_type"] == "action"
    assert run.current_step_display["step_display"]["display_title"] == "Property Details"
    run = core.engine.submit_action(run.pk, "collect_details",
                                    {"property_name": "Sea View", "property_type": "cabin"})
    display = run.current_step_display
    assert display["waiting_display"]["display_waiting_for"] == "Email verification"
    assert display["wait"]["kind"] == "event" and display["wait"]["for"] == "ownership_verified"


def compensation(ns: dict[str, Any], tm: Any) -> None:
    run = core.engine.start("order_processing", order_id=5)
    tm.advance(timedelta(minutes=10))  # past every retry of ship_order
    run.refresh_from_db()
    assert run.status == WorkflowStatus.FAILED and "shipping_service.ship is down" in run.error
    assert ns["payment_service"].calls == [("charge", 5), ("refund", "payment_service-charge-1")]
    assert ns["inventory_service"].calls[-1] == ("release", "inventory_service-reserve-1")


def two_on_fail_handlers(ns: dict[str, Any], tm: Any) -> None:
    pass  # the run() below expects the block itself to raise


def event_started(ns: dict[str, Any], tm: Any) -> None:
    from tests.eventapp.models import Order

    order = Order.objects.create(status="placed")
    run = WorkflowRun.objects.get(name__endswith="OrderProcessingWorkflow")
    assert run.status == WorkflowStatus.COMPLETED and run.data["order_id"] == order.pk


def offset_reminder(ns: dict[str, Any], tm: Any) -> None:
    from tests.eventapp.models import Appointment

    Appointment.objects.create(starts_at=tm.now + timedelta(hours=2))
    run = WorkflowRun.objects.get(name__endswith="PreAppointmentReminder")
    assert run.status == WorkflowStatus.WAITING
    assert run.current_step_display["wait"]["kind"] == "start"
    tm.advance(timedelta(hours=1))
    run.refresh_from_db()
    assert run.completion_display["display_title"] == "Reminder Sent"


def statezero_expense(ns: dict[str, Any], tm: Any) -> None:
    run = core.engine.start("expense_approval")
    run = core.engine.submit_action(run.pk, "await_review",
                                    {"reviewer_notes": "Approved", "priority": "high"})
    assert run.status == WorkflowStatus.COMPLETED
    assert run.completion_display["display_title"] == "Review Complete"


def subworkflow(ns: dict[str, Any], tm: Any) -> None:
    run = core.engine.start("user_registration", user_email="ada@example.com")
    assert run.status == WorkflowStatus.COMPLETED and run.data["user_id"] == 123
    child = WorkflowRun.objects.get(parent_run=run)
    assert child.name == "send_notification" and child.data["sent"] is True


def nested_subworkflows(ns: dict[str, Any], tm: Any) -> None:
    run = core.engine.start("order_management", customer_id=1)
    assert run.status == WorkflowStatus.COMPLETED and run.data["order_complete"] is True
    assert WorkflowRun.objects.filter(name="payment_processing").get().data["processed"]


def comprehensive(ns: dict[str, Any], tm: Any) -> None:
    assert ns["display"]["status"] == "completed"  # the example reads the placeholder run
    run = core.engine.start("comprehensive_workflow")
    run = core.engine.submit_action(run.pk, "collect_info", {"user_name": "Ada"})
    assert run.current_step_display["waiting_display"]["display_title"] == (
        "Waiting for Confirmation")


EXAMPLES: dict[str, Callable[[dict[str, Any], Any], None]] = {
    "1. Basic Workflow Structure": quick_start,
    "2. Multi-Step Flow": multi_step,
    "Display Metadata Best Practices": rich_display,
    "Basic Usage": compensation,
    "Rules and Limitations": two_on_fail_handlers,
    "Basic Event Workflow": event_started,
    "Event Workflows with Timing Offsets": offset_reminder,
    "StateZero Integration": statezero_expense,
    "Basic Subworkflow Example": subworkflow,
    "Nested Subworkflows": nested_subworkflows,
    "Summary: Complete Display Metadata Example": comprehensive,
}
FRAGMENT = "steps or handlers without their workflow class"
READS_A_RUN = "reads a run the reader already has (workflow_id, run)"
NOT_RUNNABLE = {
    "Navigation Between Steps": FRAGMENT, "Completion and Failure": FRAGMENT,
    "Sleep/Delays": FRAGMENT, "Waiting for Signals": FRAGMENT + " (see the trap test below)",
    "Waiting for Events": FRAGMENT, "Completion Display": FRAGMENT + "; " + READS_A_RUN,
    "Waiting Display": FRAGMENT + "; " + READS_A_RUN, "Step Display Metadata": FRAGMENT,
    "The current_step_display Property": READS_A_RUN, "Returns a dict with:": READS_A_RUN,
    "Progress Tracking": FRAGMENT + "; " + READS_A_RUN, "Context Merging in complete()": FRAGMENT,
    "Context Merging in Signals": FRAGMENT, "Step Execution History": READS_A_RUN,
    "Workflow-Level Retry Policy": "a class with no Context and no steps (shows the decorator)",
    "Step-Level Retry Override": FRAGMENT, "When on_fail is Called": FRAGMENT,
    "Accessing Step History": FRAGMENT, "Modifying Context in on_fail": FRAGMENT,
    "Error Handling in on_fail": FRAGMENT, "Best Practices": FRAGMENT,
    "SubflowResult Parameter": FRAGMENT, "Tracking Active Subworkflows": FRAGMENT,
    "Subworkflow Best Practices": "its parents have no Context and no start step "
                                  "(they show only the run_subflow call)",
}


@pytest.fixture
def own_registry():
    saved = dict(registry._workflows)
    registry._workflows.clear()
    yield
    registry._workflows.clear()
    registry._workflows.update(saved)


def test_every_python_block_is_run_or_has_a_reason():
    unaccounted = [f"{block.where} ({heading(block)})" for block in guide_blocks()
                   if heading(block) not in EXAMPLES and heading(block) not in NOT_RUNNABLE]
    assert unaccounted == []


@pytest.mark.parametrize("title", list(EXAMPLES))
def test_guide_example_runs(title, tm, own_registry):
    (block,) = [block for block in guide_blocks() if heading(block) == title]
    namespace = {"__name__": "guide_example", **assumed()}
    if title == "Summary: Complete Display Metadata Example":  # it ends reading a run by id
        namespace["workflow_id"] = WorkflowRun.objects.create(name="earlier", status="completed").pk
    if title == "Rules and Limitations":
        with pytest.raises(WorkflowDefinitionError, match="several @on_fail handlers"):
            run_python(block, namespace)
        return
    run_python(block, namespace)
    EXAMPLES[title](namespace, tm)


def test_the_signals_snippet_pasted_in_order_is_flagged(own_registry):
    """The guide's "Waiting for Signals" steps pasted into a class as printed: the answer to
    user_response would resume at send_final_notice, its timeout step. The lint says so."""
    (block,) = [block for block in guide_blocks() if heading(block) == "Waiting for Signals"]
    # As a reader completes it: the first step becomes the start step.
    steps = block.code.split("# Send signals from elsewhere")[0].replace(
        "@step()", "@step(start=True)", 1)
    source = ("@workflow('pasted_signals')\nclass Pasted:\n    class Context(BaseModel):\n"
              "        approved: bool = False\n        status: str = ''\n\n"
              + textwrap.indent(steps, "    "))
    filename = "<guide snippet pasted into a class>"  # linecache lets the lint read its source
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec", dont_inherit=True), {"__name__": "pasted", **assumed()})
    found = {(finding.id, finding.step) for finding in lint(registry.get("pasted_signals"))}
    assert ("django_ai.W050", "wait_with_timeout") in found
