"""Action steps through the package's own DRF endpoint (works with or without StateZero)."""

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowRun, WorkflowStatus
from tests.api.conftest import API, client_for


def submit(client, action, **data):
    return client.post(f"{API}/actions/{action}/", data, format="json")


def history(run):
    return list(run.step_executions.values_list("step_name", "status"))


def test_expense_approval_end_to_end(tm, api, user):
    run = engine.start("api_expense_approval", started_by=user)
    display = api.get(f"{API}/runs/{run.pk}/").json()["current_step_display"]
    assert display == {
        "status": "suspended", "current_step": "await_review", "step_type": "action",
        "progress": 0.0, "completion_display": {}, "waiting_display": {},
        "step_display": {
            "display_title": "Review Expense",
            "display_description": "Please review and approve or reject",
            "field_groups": [{"display_title": "Review Details", "display_description": "",
                              "field_names": ["reviewer_notes", "priority"]}],
            "field_display_configs": [],
        },
        "step_title": "await_review",
        "error": {"message": "", "step": ""},
        "wait": {"kind": "action", "for": "api_submit_review",
                 "since": display["wait"]["since"], "until": None, "on_timeout": ""},
        "retry": {"attempt": 0, "max_attempts": 3, "last_error": ""},
    }
    run.refresh_from_db()
    assert display["wait"]["since"] == run.updated_at.isoformat()

    response = submit(api, "api_submit_review", workflow_run_id=run.pk,
                      reviewer_notes="Approved", priority="high")

    assert response.status_code == 200
    body = response.json()
    assert (body["workflow_run_id"], body["status"]) == (run.pk, "completed")
    assert body["current_step"] == "await_review"
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED
    assert run.data == {"reviewer_notes": "Approved", "priority": "high"}
    assert run.completion_display == {"display_title": "Review Complete",
                                      "display_subtitle": "Expense has been reviewed"}
    assert history(run) == [("start_review", "completed"), ("await_review", "completed")]


def test_property_onboarding_end_to_end(tm, api, user):
    run = engine.start("api_property_onboarding", started_by=user)
    detail = api.get(f"{API}/runs/{run.pk}/").json()
    assert detail["current_step_display"]["step_type"] == "action"
    assert detail["current_step_display"]["step_display"]["field_groups"][0]["field_names"] == [
        "property_name", "property_type"]

    response = submit(api, "api_property_details", workflow_run_id=run.pk,
                      property_name="Sea View", property_type="cabin")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["current_step"]) == (
        "suspended", "verify_ownership")
    display = api.get(f"{API}/runs/{run.pk}/").json()["current_step_display"]
    assert display["step_type"] == "waiting"
    assert display["step_display"] == {}
    assert display["waiting_display"] == {
        "display_title": "Verifying Ownership",
        "display_subtitle": "Please complete verification in your email",
        "display_waiting_for": "Email verification",
    }

    assert engine.wake_for_event("ownership_verified", "", "", {}) == 1
    detail = api.get(f"{API}/runs/{run.pk}/").json()
    assert detail["status"] == "completed"
    assert detail["progress"] == 1.0
    assert detail["current_step_display"]["completion_display"] == {
        "display_title": "Welcome to the Platform! 🎉",
        "display_subtitle": "Sea View is now live and ready for bookings",
    }
    assert [h["step_name"] for h in detail["history"]] == [
        "collect_details", "verify_ownership", "finalize"]


def test_guide_property_serializer_display_and_submission(tm, api, user):
    run = engine.start("api_property_listing", started_by=user)
    step_display = run.current_step_display["step_display"]
    assert step_display["field_groups"][1] == {
        "display_title": "Contact Details", "display_description": "How guests can reach you",
        "field_names": ["email"]}
    assert step_display["field_display_configs"] == [{
        "field_name": "amenities", "display_component": "AmenitiesMultiSelect",
        "filter_queryset": {"is_active": True, "category": "essential"},
        "display_help_text": "Select all amenities that apply"}]
    response = submit(api, "api_collect_property_info", workflow_run_id=run.pk,
                      property_name="Loft", property_type="flat", bedrooms=2,
                      email="owner@example.com", amenities=["wifi"])
    assert response.status_code == 200, response.json()
    run.refresh_from_db()
    assert (run.status, run.data) == (WorkflowStatus.COMPLETED, {"property_name": "Loft"})


def test_unknown_run_is_404(tm, api):
    response = submit(api, "api_submit_review", workflow_run_id=987654,
                      reviewer_notes="x", priority="low")
    assert response.status_code == 404
    assert "987654" in response.json()["detail"]


def test_unknown_action_is_404(tm, api):
    assert submit(api, "no_such_action", workflow_run_id=1).status_code == 404


def test_run_not_at_that_step_is_409_saying_where_it_is(tm, api, user):
    run = engine.start("owned_approval", started_by=user)
    response = submit(api, "confirm_owned", workflow_run_id=run.pk, approved=True)
    assert response.status_code == 409
    body = response.json()
    assert (body["status"], body["current_step"]) == ("suspended", "approve")
    assert "approve" in body["detail"]


def test_finished_run_is_409(tm, api, user):
    run = engine.start("api_expense_approval", started_by=user)
    ok = submit(api, "api_submit_review", workflow_run_id=run.pk, reviewer_notes="a",
                priority="low")
    assert ok.status_code == 200
    again = submit(api, "api_submit_review", workflow_run_id=run.pk, reviewer_notes="b",
                   priority="low")
    assert again.status_code == 409
    assert again.json()["status"] == "completed"
    run.refresh_from_db()
    assert run.data["reviewer_notes"] == "a"


def test_action_of_another_workflow_is_409(tm, api, user):
    run = engine.start("api_expense_approval", started_by=user)
    response = submit(api, "slow_submit", workflow_run_id=run.pk, label="x")
    assert response.status_code == 409
    assert response.json()["current_step"] == "await_review"


def test_invalid_fields_are_400_with_serializer_errors(tm, api, user):
    run = engine.start("api_expense_approval", started_by=user)
    response = submit(api, "api_submit_review", workflow_run_id=run.pk, reviewer_notes="x" * 501,
                      priority="urgent")
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"reviewer_notes", "priority"}
    assert "not a valid choice" in errors["priority"][0]
    run.refresh_from_db()
    assert (run.status, run.current_step) == (WorkflowStatus.SUSPENDED, "await_review")


def test_missing_run_id_is_400(tm, api):
    response = submit(api, "api_submit_review", reviewer_notes="x", priority="low")
    assert response.status_code == 400
    assert "workflow_run_id" in response.json()


def test_serializer_validate_methods_still_apply(tm, approver):
    run = engine.start("owned_approval", started_by=approver)
    response = submit(client_for(approver), "approve_owned", workflow_run_id=run.pk,
                      approved=True, comment="forbidden word")
    assert response.status_code == 400
    assert response.json() == {"comment": ["That word is not allowed."]}


def test_anonymous_is_refused(tm):
    run = engine.start("api_expense_approval")
    response = submit(client_for(), "api_submit_review", workflow_run_id=run.pk,
                      reviewer_notes="x", priority="low")
    assert response.status_code in (401, 403)
    run.refresh_from_db()
    assert run.status == WorkflowStatus.SUSPENDED


def test_step_receives_request_and_fields_not_run_id(tm, approver):
    run = engine.start("owned_approval", started_by=approver)
    response = submit(client_for(approver), "approve_owned", workflow_run_id=run.pk,
                      approved=True, comment="fine")
    assert response.status_code == 200
    assert response.json()["progress"] == 0.5
    run.refresh_from_db()
    assert run.data["approved_by"] == "alice"
    assert run.data["comment"] == "fine"
    assert (run.status, run.current_step) == (WorkflowStatus.SUSPENDED, "second_approval")
    # **extra receives every field, never workflow_run_id and never an unasked-for request.
    done = submit(client_for(approver), "confirm_owned", workflow_run_id=run.pk, approved=False)
    assert done.status_code == 200
    run.refresh_from_db()
    assert run.completion_display["display_title"] == "Declined"


def test_body_validation_error_is_400_and_nothing_is_kept(tm, api, user):
    run = engine.start("checked_amount", started_by=user)
    response = submit(api, "enter_amount", workflow_run_id=run.pk, amount=-5)
    assert response.status_code == 400
    assert response.json() == {"amount": ["Must not be negative."]}
    run.refresh_from_db()
    assert (run.status, run.data, history(run)) == (WorkflowStatus.SUSPENDED, {"amount": 0}, [])


def test_body_exception_is_500_and_the_run_still_waits(tm, api, user):
    run = engine.start("checked_amount", started_by=user)
    response = submit(api, "enter_amount", workflow_run_id=run.pk, amount=13)
    assert response.status_code == 500
    assert "still waits" in response.json()["detail"]
    run.refresh_from_db()
    assert (run.status, run.current_step, run.data) == (WorkflowStatus.SUSPENDED, "enter",
                                                        {"amount": 0})
    assert submit(api, "enter_amount", workflow_run_id=run.pk, amount=7).status_code == 200


def test_response_serializer_shapes_the_answer(tm, api, user):
    run = engine.start("checked_amount", started_by=user)
    response = submit(api, "enter_amount", workflow_run_id=run.pk, amount=3)
    assert response.status_code == 200
    assert response.json() == {"workflow_run_id": run.pk, "status": "completed"}


def test_action_list_describes_fields_and_display(tm, api):
    actions = {a["name"]: a for a in api.get(f"{API}/actions/").json()}
    review = actions["api_submit_review"]
    assert (review["workflow"], review["step"]) == ("api_expense_approval", "await_review")
    assert [f["name"] for f in review["fields"]] == ["workflow_run_id", "reviewer_notes",
                                                     "priority"]
    assert review["step_display"]["display_title"] == "Review Expense"
    approval_fields = [f["name"] for f in actions["approve_owned"]["fields"]]
    assert approval_fields == ["workflow_run_id", "approved", "comment"]


def test_runs_created_through_the_api_are_plain_runs(tm, api, user):
    run = engine.start("api_expense_approval", started_by=user)
    assert WorkflowRun.objects.get(pk=run.pk).wait_kind == "action"


def test_model_serializer_action_and_its_writes_happen_once(tm, api, user):
    from tests.testapp.models import Ledger

    run = engine.start("ledger_note", started_by=user)
    failed = submit(api, "write_ledger_note", workflow_run_id=run.pk, note="boom")
    assert failed.status_code == 500
    assert not Ledger.objects.exists()  # the body's write rolled back with it
    assert submit(api, "write_ledger_note", workflow_run_id=run.pk, note="x" * 201).status_code \
        == 400  # the model field's max_length, through the ModelSerializer
    done = submit(api, "write_ledger_note", workflow_run_id=run.pk, note="paid")
    assert done.status_code == 200
    assert list(Ledger.objects.values_list("note", flat=True)) == ["paid"]
    run.refresh_from_db()
    assert run.data == {"note": "paid"}


def test_submission_query_budget(tm, api, django_assert_max_num_queries, user):
    # Read the run, lock it, save it and its history row, read it back (savepoints aside).
    run = engine.start("api_expense_approval", started_by=user)
    with django_assert_max_num_queries(8) as captured:
        response = submit(api, "api_submit_review", workflow_run_id=run.pk, reviewer_notes="a",
                          priority="low")
    assert response.status_code == 200
    statements = [q["sql"].split()[0] for q in captured.captured_queries]
    assert statements.count("SELECT") <= 3, statements
