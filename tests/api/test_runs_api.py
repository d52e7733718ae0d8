"""Run list and detail, the staff-only operations, and the OpenAPI schema."""

import pytest

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowStatus
from tests.api import workflows_api as flows
from tests.api.conftest import API, client_for


@pytest.fixture
def flaky():
    flows.FLAKY["fixed"] = False
    yield flows.FLAKY
    flows.FLAKY["fixed"] = False


def test_list_filters_by_name_and_status(tm, api, user):
    waiting = engine.start("api_expense_approval", started_by=user)
    done = engine.start("api_expense_approval", started_by=user)
    engine.submit_action(done.pk, "await_review", {"reviewer_notes": "x", "priority": "low"})
    other = engine.start("slow_action", started_by=user)

    def ids(query):
        response = api.get(f"{API}/runs/{query}")
        assert response.status_code == 200
        return [run["id"] for run in response.json()["results"]]

    assert ids("") == [other.pk, done.pk, waiting.pk]
    assert ids("?name=api_expense_approval") == [done.pk, waiting.pk]
    assert ids("?status=suspended") == [other.pk, waiting.pk]
    assert ids("?name=api_expense_approval&status=completed") == [done.pk]
    assert ids("?status=completed,suspended") == [other.pk, done.pk, waiting.pk]
    row = api.get(f"{API}/runs/?name=slow_action").json()["results"][0]
    assert row["status"] == "suspended" and row["current_step"] == "slow"
    assert "data" not in row and "history" not in row


def test_unknown_status_filter_is_400(tm, api):
    response = api.get(f"{API}/runs/?status=sleeping")
    assert response.status_code == 400
    assert "sleeping" in response.json()["status"][0]


def test_detail_has_display_progress_and_history(tm, approver):
    run = engine.start("owned_approval", started_by=approver, owner="alice")
    client = client_for(approver)
    client.post(f"{API}/actions/approve_owned/", {"workflow_run_id": run.pk, "approved": True},
                format="json")
    detail = client.get(f"{API}/runs/{run.pk}/").json()
    assert detail["progress"] == 0.5
    assert detail["current_step"] == "second_approval"
    assert detail["current_step_display"]["step_type"] == "action"
    assert detail["data"]["approved_by"] == "alice"
    assert [(h["step_name"], h["status"]) for h in detail["history"]] == [
        ("approve", "completed")]


def test_display_endpoint_is_current_step_display_in_one_query(tm, api, user,
                                                               django_assert_num_queries):
    run = engine.start("api_expense_approval", started_by=user)
    with django_assert_num_queries(1):
        response = api.get(f"{API}/runs/{run.pk}/display/")
    assert response.status_code == 200
    run.refresh_from_db()
    assert response.json() == run.current_step_display
    assert api.get(f"{API}/runs/999999/display/").status_code == 404


def test_detail_query_count_does_not_grow_with_history(tm, api, django_assert_num_queries, user):
    run = engine.start("api_comprehensive_workflow", started_by=user)
    api.post(f"{API}/actions/api_collect_info/", {"workflow_run_id": run.pk, "user_name": "A"},
             format="json")
    with django_assert_num_queries(2):  # the run, then its history
        assert len(api.get(f"{API}/runs/{run.pk}/").json()["history"]) == 2


def test_unknown_run_detail_is_404(tm, api):
    assert api.get(f"{API}/runs/99999/").status_code == 404


@pytest.mark.parametrize("operation", ["cancel", "retry", "signal"])
def test_operations_are_staff_only(tm, api, operation, user):
    run = engine.start("api_signal_wait", started_by=user)
    response = api.post(f"{API}/runs/{run.pk}/{operation}/", {"name": "api_answer"},
                        format="json")
    assert response.status_code == 403
    run.refresh_from_db()
    assert run.status == WorkflowStatus.SUSPENDED


def test_staff_cancel(tm, staff):
    run = engine.start("api_signal_wait")
    client = client_for(staff)
    response = client.post(f"{API}/runs/{run.pk}/cancel/", {"reason": "no longer needed"},
                           format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["error"]) == ("cancelled",
                                                                    "no longer needed")
    again = client.post(f"{API}/runs/{run.pk}/cancel/", {}, format="json")
    assert again.status_code == 409
    assert again.json()["status"] == "cancelled"


def test_staff_retry_of_a_failed_run(tm, staff, flaky):
    run = engine.start("api_flaky")
    run.refresh_from_db()
    assert run.status == WorkflowStatus.FAILED
    client = client_for(staff)
    detail = client.get(f"{API}/runs/{run.pk}/").json()
    assert "Traceback" in detail["error"]  # staff see the whole error
    flaky["fixed"] = True
    response = client.post(f"{API}/runs/{run.pk}/retry/", format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "completed"
    assert client.post(f"{API}/runs/{run.pk}/retry/").status_code == 409


def test_non_staff_see_only_the_first_line_of_an_error(tm, api, flaky, user):
    run = engine.start("api_flaky", started_by=user)
    detail = api.get(f"{API}/runs/{run.pk}/").json()
    assert detail["error"] == "RuntimeError: service unavailable"
    assert detail["history"][0]["error"] == "RuntimeError: service unavailable"


def test_staff_signal_to_one_run_and_broadcast(tm, staff):
    first = engine.start("api_signal_wait")
    second = engine.start("api_signal_wait")
    client = client_for(staff)
    response = client.post(f"{API}/runs/{first.pk}/signal/",
                           {"name": "api_answer", "payload": {"answer": "yes"}}, format="json")
    assert response.status_code == 200
    assert (response.json()["resumed"], response.json()["status"]) == (1, "completed")
    assert response.json()["completion_display"]["display_title"] == "Answer: yes"
    second.refresh_from_db()
    assert second.status == WorkflowStatus.SUSPENDED
    bad = client.post(f"{API}/signals/api_answer/", {"payload": {"answer": ["not", "text"]}},
                      format="json")
    assert bad.status_code == 400
    broadcast = client.post(f"{API}/signals/api_answer/", {"payload": {"answer": "no"}},
                            format="json")
    assert broadcast.json() == {"resumed": 1}
    second.refresh_from_db()
    assert second.status == WorkflowStatus.COMPLETED


def test_openapi_schema_describes_the_api(tm, api):
    pytest.importorskip("drf_spectacular", reason="drf-spectacular (dev extra) not installed")
    response = api.get(f"{API}/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {"/runs/", "/runs/{id}/", "/actions/{action_name}/", "/runs/{id}/cancel/"} <= set(
        schema["paths"])
    assert schema["servers"] == [{"url": API}]
    # The action body is documented as one of the registered actions' inputs.
    choices = schema["components"]["schemas"]["ActionSubmission"]["oneOf"]
    assert {"$ref": "#/components/schemas/ReviewSerializerInput"} in choices
    review = schema["components"]["schemas"]["ReviewSerializerInput"]
    assert set(review["required"]) == {"workflow_run_id", "reviewer_notes", "priority"}
