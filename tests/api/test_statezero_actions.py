"""The same action steps under StateZero's ``/statezero/actions/<name>/`` (when installed)."""

import importlib.util

import pytest
from django.conf import settings

from django_ai.automation.workflows import statezero_integration
from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowStatus
from tests.api.conftest import client_for

HAS_STATEZERO = importlib.util.find_spec("statezero") is not None
needs_statezero = pytest.mark.skipif(
    not HAS_STATEZERO, reason="StateZero is not installed (the .venv-statezero tier runs this)")


def submit(client, action, **data):
    return client.post(f"/statezero/actions/{action}/", data, format="json")


def test_statezero_action_imports_and_works_either_way():
    from django_ai.automation.workflows.statezero_action import statezero_action

    assert callable(statezero_action)
    assert statezero_integration.AVAILABLE is HAS_STATEZERO
    assert settings.STATEZERO_INSTALLED is HAS_STATEZERO


@pytest.mark.skipif(HAS_STATEZERO, reason="checks the project without StateZero")
def test_without_statezero_the_package_serves_the_statezero_urls(tm, api, user):
    run = engine.start("api_expense_approval", started_by=user)
    response = submit(api, "api_submit_review", workflow_run_id=run.pk, reviewer_notes="x",
                      priority="low")
    assert response.status_code == 200
    assert response.json()["status"] == "completed"
    assert submit(api, "api_submit_review", workflow_run_id=run.pk, reviewer_notes="x",
                  priority="low").status_code == 409


@needs_statezero
def test_expense_approval_through_statezero(tm, api, user):
    run = engine.start("api_expense_approval", started_by=user)
    response = submit(api, "api_submit_review", workflow_run_id=run.pk,
                      reviewer_notes="Approved", priority="high")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "completed"
    run.refresh_from_db()
    assert run.data == {"reviewer_notes": "Approved", "priority": "high"}
    assert run.completion_display["display_title"] == "Review Complete"


@needs_statezero
def test_property_onboarding_through_statezero(tm, api, user):
    run = engine.start("api_property_onboarding", started_by=user)
    response = submit(api, "api_property_details", workflow_run_id=run.pk,
                      property_name="Sea View", property_type="house")
    assert response.status_code == 200
    assert response.json()["current_step"] == "verify_ownership"
    engine.wake_for_event("ownership_verified", "", "", {})
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED
    assert "Sea View" in run.completion_display["display_subtitle"]


@needs_statezero
def test_statezero_errors(tm, api, user):
    run = engine.start("api_expense_approval", started_by=user)
    unknown = submit(api, "api_submit_review", workflow_run_id=424242, reviewer_notes="x",
                     priority="low")
    assert unknown.status_code == 404
    invalid = submit(api, "api_submit_review", workflow_run_id=run.pk, reviewer_notes="x",
                     priority="urgent")
    assert invalid.status_code == 400
    assert "priority" in invalid.json()["detail"]
    anonymous = submit(client_for(), "api_submit_review", workflow_run_id=run.pk,
                       reviewer_notes="x", priority="low")
    assert anonymous.status_code in (401, 403)
    assert submit(api, "api_submit_review", workflow_run_id=run.pk, reviewer_notes="x",
                  priority="low").status_code == 200
    again = submit(api, "api_submit_review", workflow_run_id=run.pk, reviewer_notes="y",
                   priority="low")
    assert again.status_code == 409
    assert again.json()["data"] == {"workflow_run_id": run.pk, "status": "completed",
                                    "current_step": "await_review"}
    assert "completed" in again.json()["detail"]


@needs_statezero
def test_statezero_per_action_permissions_and_request(tm, user, approver):
    run = engine.start("owned_approval", started_by=approver, owner="alice")
    response = submit(client_for(approver), "approve_owned", workflow_run_id=run.pk,
                      approved=True, comment="ok")
    assert response.status_code == 200
    run.refresh_from_db()
    assert run.data["approved_by"] == "alice"


@needs_statezero
def test_statezero_refuses_users_without_the_action_permission(tm, other_user):
    run = engine.start("owned_approval")
    response = submit(client_for(other_user), "approve_owned", workflow_run_id=run.pk,
                      approved=True)
    assert response.status_code == 403


@needs_statezero
def test_statezero_visibility_hook(tm, settings, approver, other_user):
    settings.DJANGO_AI = {"BACKEND": "immediate",
                          "RUN_VISIBILITY_HOOK": "tests.api.hooks.own_runs"}
    bobs = engine.start("owned_approval", started_by=approver, owner="bob")
    response = submit(client_for(approver), "approve_owned", workflow_run_id=bobs.pk,
                      approved=True)
    assert response.status_code == 403
    bobs.refresh_from_db()
    assert bobs.current_step == "approve"


@needs_statezero
def test_statezero_action_schema_lists_display_metadata(tm, api):
    actions = api.get("/statezero/actions-schema/").json()["actions"]
    review = actions["api_submit_review"]
    assert set(review["input_properties"]) == {"workflow_run_id", "reviewer_notes", "priority"}
    assert review["display"]["display_title"] == "Review Expense"


@needs_statezero
def test_body_errors_through_statezero(tm, api, user):
    run = engine.start("checked_amount", started_by=user)
    negative = submit(api, "enter_amount", workflow_run_id=run.pk, amount=-1)
    assert negative.status_code == 400
    assert "amount" in negative.json()["detail"] and "data" not in negative.json()
    assert submit(api, "enter_amount", workflow_run_id=run.pk, amount=13).status_code == 500
    done = submit(api, "enter_amount", workflow_run_id=run.pk, amount=2)
    assert done.status_code == 200
    assert done.json() == {"workflow_run_id": run.pk, "status": "completed"}


@needs_statezero
def test_a_foreign_statezero_action_with_the_same_name_is_a_startup_error():
    from statezero.core.actions import action_registry

    from django_ai.automation.workflows.action_checks import check_actions

    saved = dict(action_registry.get_action("slow_submit"))
    try:
        action_registry.register(lambda **kwargs: {}, name="slow_submit")
        errors = [e for e in check_actions() if e.id == "django_ai.E032"]
        assert len(errors) == 1 and "slow_submit" in errors[0].msg
    finally:
        action_registry._actions["slow_submit"] = saved
    assert not [e for e in check_actions() if e.id == "django_ai.E032"]
