"""The guide's display examples polled through HTTP, as a frontend would."""

from django.urls import path
from rest_framework.decorators import api_view
from rest_framework.response import Response

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowRun
from tests.api.conftest import API
from tests.urls import urlpatterns as project_urls


# The guide's "Example usage in an API", as written.
@api_view(["GET"])
def workflow_status(request, workflow_id):
    run = WorkflowRun.objects.get(id=workflow_id)
    return Response(run.current_step_display)


urlpatterns = [*project_urls, path("status/<int:workflow_id>/", workflow_status)]


def test_comprehensive_example_through_every_display_state(tm, api, settings, user):
    settings.ROOT_URLCONF = __name__
    run = engine.start("api_comprehensive_workflow", started_by=user)

    form = api.get(f"/status/{run.pk}/").json()
    assert (form["status"], form["step_type"], form["progress"]) == ("suspended", "action", 0.0)
    assert form["step_display"]["display_title"] == "Welcome!"
    assert form["waiting_display"] == {} and form["completion_display"] == {}

    submitted = api.post(f"{API}/actions/api_collect_info/",
                         {"workflow_run_id": run.pk, "user_name": "Ada"}, format="json")
    assert submitted.status_code == 200

    waiting = api.get(f"/status/{run.pk}/").json()
    assert (waiting["status"], waiting["step_type"], waiting["progress"]) == (
        "suspended", "waiting", 0.67)
    assert waiting["waiting_display"]["display_waiting_for"] == "Email confirmation"
    assert waiting["step_display"] == {}

    engine.wake_for_event("confirmation_received", "", "", {})
    done = api.get(f"/status/{run.pk}/").json()
    assert (done["status"], done["progress"]) == ("completed", 1.0)
    assert done["completion_display"] == {"display_title": "All Done, Ada!",
                                          "display_subtitle": "Successfully processed 42 items"}
    assert done["waiting_display"] == {}


def test_progress_combined_with_display_as_the_guide_shows(tm, api, user):
    run = engine.start("api_comprehensive_workflow", started_by=user)
    api.post(f"{API}/actions/api_collect_info/", {"workflow_run_id": run.pk, "user_name": "Bo"},
             format="json")
    run.refresh_from_db()
    display = run.current_step_display
    summary = {
        "progress": run.progress * 100,
        "status": display["status"],
        "message": display.get("waiting_display", {}).get("display_title", "Processing..."),
    }
    assert summary == {"progress": 67.0, "status": "suspended",
                       "message": "Waiting for Confirmation"}
