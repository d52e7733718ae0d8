"""Who may read and advance runs: permission classes, the visibility hook, action permissions."""

import pytest

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowStatus
from tests.api.conftest import API, client_for

HOOK = {"DJANGO_AI": {"BACKEND": "immediate",
                      "RUN_VISIBILITY_HOOK": "tests.api.hooks.own_runs"}}


def submit(client, action, **data):
    return client.post(f"{API}/actions/{action}/", data, format="json")


ALL_RUNS = "django_ai.automation.workflows.api.permissions.all_runs"


@pytest.fixture
def hooked(settings):
    settings.DJANGO_AI = HOOK["DJANGO_AI"]


def test_reading_runs_needs_authentication(tm):
    run = engine.start("api_expense_approval")
    anonymous = client_for()
    assert anonymous.get(f"{API}/runs/").status_code in (401, 403)
    assert anonymous.get(f"{API}/runs/{run.pk}/").status_code in (401, 403)


def test_permission_classes_are_configurable(tm, settings):
    # Opening the API to anonymous users also takes a hook: by default they see no run.
    settings.DJANGO_AI = {"BACKEND": "immediate",
                          "API_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
                          "RUN_VISIBILITY_HOOK": ALL_RUNS}
    run = engine.start("api_expense_approval")
    anonymous = client_for()
    assert anonymous.get(f"{API}/runs/{run.pk}/").status_code == 200
    response = submit(anonymous, "api_submit_review", workflow_run_id=run.pk,
                      reviewer_notes="ok", priority="low")
    assert response.status_code == 200


def test_one_user_cannot_read_another_users_run(tm, hooked, user, other_user):
    alices = engine.start("owned_approval", owner="alice")
    bobs = engine.start("owned_approval", owner="bob")
    alice = client_for(user)
    assert [r["id"] for r in alice.get(f"{API}/runs/").json()["results"]] == [alices.pk]
    assert alice.get(f"{API}/runs/{alices.pk}/").status_code == 200
    assert alice.get(f"{API}/runs/{bobs.pk}/").status_code == 404


def test_one_user_cannot_advance_another_users_run(tm, hooked, approver, other_user):
    bobs = engine.start("owned_approval", owner="bob")
    response = submit(client_for(approver), "approve_owned", workflow_run_id=bobs.pk,
                      approved=True)
    assert response.status_code == 403
    bobs.refresh_from_db()
    assert (bobs.status, bobs.current_step) == (WorkflowStatus.SUSPENDED, "approve")
    alices = engine.start("owned_approval", owner="alice")
    mine = submit(client_for(approver), "approve_owned", workflow_run_id=alices.pk,
                  approved=True)
    assert mine.status_code == 200


def test_staff_see_every_run_through_the_hook(tm, hooked, staff):
    engine.start("owned_approval", owner="alice")
    engine.start("owned_approval", owner="bob")
    assert client_for(staff).get(f"{API}/runs/").json()["count"] == 2


def test_hook_must_return_a_queryset(tm, settings, user, caplog):
    settings.DJANGO_AI = {"BACKEND": "immediate",
                          "RUN_VISIBILITY_HOOK": "tests.api.hooks.not_a_queryset"}
    response = client_for(user).get(f"{API}/runs/")
    # A configuration mistake is logged with its traceback; the user gets a plain 500.
    assert response.status_code == 500
    assert "Traceback" not in response.content.decode()
    assert any("must return a queryset" in str(r.exc_info[1]) for r in caplog.records
               if r.exc_info)


def test_per_action_permissions_refuse_with_403(tm, user):
    run = engine.start("owned_approval", owner="alice")
    response = submit(client_for(user), "approve_owned", workflow_run_id=run.pk, approved=True)
    assert response.status_code == 403
    assert response.json()["detail"] == "Only approvers may approve."
    run.refresh_from_db()
    assert run.current_step == "approve"


def test_per_action_permissions_run_before_validation(tm, user):
    run = engine.start("owned_approval")
    response = submit(client_for(user), "approve_owned", workflow_run_id=run.pk)
    assert response.status_code == 403


def test_hook_may_be_a_callable(tm, settings, user):
    from tests.api.hooks import own_runs

    settings.DJANGO_AI = {"BACKEND": "immediate", "RUN_VISIBILITY_HOOK": own_runs}
    mine = engine.start("owned_approval", owner="alice")
    engine.start("owned_approval", owner="bob")
    assert [r["id"] for r in client_for(user).get(f"{API}/runs/").json()["results"]] == [mine.pk]


def test_staff_operations_respect_the_hook_too(tm, settings, staff):
    settings.DJANGO_AI = {"BACKEND": "immediate", "RUN_VISIBILITY_HOOK": "tests.api.hooks.nothing"}
    run = engine.start("api_signal_wait")
    response = client_for(staff).post(f"{API}/runs/{run.pk}/cancel/", {}, format="json")
    assert response.status_code == 404
    run.refresh_from_db()
    assert run.status == WorkflowStatus.SUSPENDED
