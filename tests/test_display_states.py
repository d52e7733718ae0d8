"""``current_step_display`` carries every documented key in every state (SPEC section 10)."""

from datetime import timedelta

import pytest
from django.db import transaction

from django_ai.automation.workflows import registry
from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.engine.starting import new_run
from django_ai.automation.workflows.models import WorkflowRun
from tests.api import workflows_api  # noqa: F401  (registers api_expense_approval)

KEYS = {"status", "current_step", "step_title", "step_type", "progress", "completion_display",
        "waiting_display", "step_display", "error", "wait", "retry"}
NO_WAIT = {"kind": "", "for": "", "since": None, "until": None, "on_timeout": ""}
NO_ERROR = {"message": "", "step": ""}


def display_of(run: WorkflowRun) -> dict:
    run.refresh_from_db()
    display = run.current_step_display
    assert set(display) == KEYS
    assert set(display["wait"]) == set(NO_WAIT)
    assert set(display["retry"]) == {"attempt", "max_attempts", "last_error"}
    assert set(display["error"]) == set(NO_ERROR)
    return display


def test_signal_wait_says_what_since_and_until(tm):
    run = engine.start("sample_approvals")
    engine.signal("manager_approval", {}, run_id=run.pk)
    display = display_of(run)
    assert display["wait"] == {
        "kind": "signal", "for": "user_response", "since": tm.now.isoformat(),
        "until": (tm.now + timedelta(days=7)).isoformat(), "on_timeout": "send_final_notice"}
    assert display["error"] == NO_ERROR and display["step_type"] == "waiting"


def test_wait_since_is_when_the_wait_began(tm):
    run = engine.start("sample_review")
    began = tm.now
    tm.advance(timedelta(hours=3))
    display = display_of(run)
    assert display["wait"]["since"] == began.isoformat()
    assert display["wait"]["until"] is None and display["wait"]["for"] == "review_completed"


def test_event_wait_keeps_its_display_metadata(tm):
    run = engine.start("rules_event_wait", entity_id=5)
    display = display_of(run)
    assert display["wait"]["kind"] == "event" and display["wait"]["for"] == "rules_oauth"
    assert display["wait"]["until"] == (tm.now + timedelta(minutes=10)).isoformat()
    assert display["waiting_display"]["display_waiting_for"] == "OAuth authorization"


def test_sleep_waits_until_wake_up(tm):
    run = engine.start("sample_reminders")
    display = display_of(run)
    assert display["status"] == "waiting"
    assert display["wait"] == {"kind": "sleep", "for": "send_reminder",
                               "since": tm.now.isoformat(),
                               "until": (tm.now + timedelta(hours=24)).isoformat(),
                               "on_timeout": ""}


def test_retry_says_attempt_maximum_last_error_and_next_try(tm):
    run = engine.start("rules_backoff")
    display = display_of(run)
    assert display["retry"] == {"attempt": 1, "max_attempts": 4,
                                "last_error": "ConnectionError: down"}
    assert display["wait"]["kind"] == "retry" and display["wait"]["for"] == "always_fails"
    assert display["wait"]["until"] == (tm.now + timedelta(seconds=10)).isoformat()
    tm.advance(timedelta(seconds=10))
    assert display_of(run)["retry"]["attempt"] == 2


def test_failed_run_names_message_and_step(tm):
    run = engine.start("rules_backoff")
    tm.advance(timedelta(minutes=5))
    display = display_of(run)
    assert display["status"] == "failed"
    assert display["error"] == {"message": "ConnectionError: down", "step": "always_fails"}
    assert display["wait"] == NO_WAIT
    assert display["retry"] == {"attempt": 3, "max_attempts": 4, "last_error": ""}


def test_explicit_fail_and_cancel_carry_their_reason(tm):
    failed = engine.start("guide_navigation", order_total=10, all_validations_passed=False)
    assert display_of(failed)["error"]["message"].startswith("Validation failed")
    waiting = engine.start("sample_review")
    engine.cancel(waiting.pk, "No longer needed")
    assert display_of(waiting)["error"] == {"message": "No longer needed",
                                            "step": "wait_for_review"}


def test_action_and_subflow_waits(tm):
    action = engine.start("api_expense_approval")
    assert display_of(action)["wait"]["kind"] == "action"
    assert display_of(action)["wait"]["for"] == "api_submit_review"
    parent = engine.start("rules_middle")
    wait = display_of(parent)["wait"]
    assert wait["kind"] == "subflow" and wait["for"] == "rules_leaf"


def test_planned_start_waits_from_creation(tm):
    spec = registry.get("sample_review")
    with transaction.atomic():
        run = new_run(spec, spec.build_context(), start_at=tm.now + timedelta(hours=2))
    display = display_of(run)
    assert display["wait"] == {"kind": "start", "for": "wait_for_review",
                               "since": tm.now.isoformat(),
                               "until": (tm.now + timedelta(hours=2)).isoformat(),
                               "on_timeout": ""}


@pytest.mark.parametrize("name", ["sample_order_fulfillment", "guide_data_merging"])
def test_finished_runs_have_empty_wait_error_and_retry(tm, name):
    display = display_of(engine.start(name, **({"order_id": 1} if "order" in name else {})))
    assert display["status"] == "completed"
    assert display["wait"] == NO_WAIT and display["error"] == NO_ERROR
    assert display["retry"]["attempt"] == 0 and display["retry"]["last_error"] == ""


def test_step_title_is_the_declared_title(tm):
    run = engine.start("sample_review")
    assert display_of(run)["step_title"] == "wait_for_review"  # no title declared: the name


def test_display_endpoint_carries_a_failed_runs_error(tm, django_assert_num_queries):
    from django.contrib.auth.models import User

    from tests.api.conftest import API, client_for

    run = engine.start("rules_backoff")
    tm.advance(timedelta(minutes=5))
    api = client_for(User.objects.create_user("sam", is_staff=True))
    with django_assert_num_queries(1):
        body = api.get(f"{API}/runs/{run.pk}/display/").json()
    assert body["status"] == "failed"
    assert body["error"] == {"message": "ConnectionError: down", "step": "always_fails"}


def test_a_time_machine_inside_another_hands_the_clock_back(tm):
    from django_ai.automation.testing import time_machine
    from django_ai.automation.workflows import clock

    outer = tm.now
    with time_machine() as inner:
        inner.advance(timedelta(days=1))
        assert clock.now() == outer + timedelta(days=1)
    assert clock.now() == outer
    run = engine.start("sample_review")  # the outer machine still runs the steps
    assert run.status == "suspended"


def test_declared_titles_in_the_display_and_the_run_api(tm):
    from django.contrib.auth.models import User
    from pydantic import BaseModel

    from django_ai.automation.workflows.core import complete, step, wait, workflow
    from tests.api.conftest import API, client_for

    @workflow("display_titled")
    class Titled:
        class Context(BaseModel):
            pass

        @step(start=True, title="Ask the manager")
        def ask(self):
            return wait.for_signal("answer")

        @step(title="Record the answer")
        def record(self):
            return complete()

    try:
        run = engine.start("display_titled")
        assert display_of(run)["step_title"] == "Ask the manager"
        api = client_for(User.objects.create_user("tess", is_staff=True))
        detail = api.get(f"{API}/runs/{run.pk}/").json()
        assert detail["step_titles"] == {"ask": "Ask the manager", "record": "Record the answer"}
    finally:
        registry.unregister("display_titled")


def test_the_reference_documents_every_key():
    import ast
    from pathlib import Path

    from tests.docblocks import blocks

    reference = Path(__file__).resolve().parents[1] / "docs" / "reference.md"
    documented = next(ast.literal_eval(block.code) for block in blocks(reference)
                      if block.code.lstrip().startswith("{") and '"step_title"' in block.code)
    assert set(documented) == KEYS
    assert set(documented["wait"]) == set(NO_WAIT) and set(documented["error"]) == set(NO_ERROR)
    assert set(documented["retry"]) == {"attempt", "max_attempts", "last_error"}
    table = reference.read_text()
    for key in ["step_title", *(f"error.{k}" for k in NO_ERROR), *(f"wait.{k}" for k in NO_WAIT),
                "retry.attempt", "retry.max_attempts", "retry.last_error"]:
        assert f"| `{key}` |" in table, key


def test_a_rolling_deploy_hand_back_is_a_wait_for_code(tm):
    from django_ai.automation.workflows.engine import deploys

    run = engine.start("sample_review")
    with transaction.atomic():
        locked = WorkflowRun.objects.select_for_update().get(pk=run.pk)
        deploys.hand_back(locked, "No step 'wait_for_review' in this process.")
    display = display_of(run)
    assert display["status"] == "waiting"
    assert display["wait"]["kind"] == "code" and display["wait"]["for"] == "wait_for_review"
    assert display["wait"]["until"] is not None and display["error"] == NO_ERROR
