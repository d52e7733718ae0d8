"""The run admin: list with status and progress, search, history inline, JSON, actions."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.test import Client

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowRun, WorkflowStatus
from tests.api import workflows_api as flows

CHANGELIST = "/admin/django_ai_workflows/workflowrun/"


@pytest.fixture
def admin_client(db):
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com"))
    return client


def test_changelist_shows_status_and_progress(tm, admin_client, approver):
    run = engine.start("owned_approval", owner="alice")
    request = SimpleNamespace(user=approver)  # the step reads request.user
    engine.submit_action(run.pk, "approve", {"approved": True, "comment": "", "request": request})
    page = admin_client.get(CHANGELIST).content.decode()
    assert "owned_approval" in page and "suspended" in page and "50%" in page


def test_search_by_name_and_by_id(tm, admin_client):
    review = engine.start("api_expense_approval")
    slow = engine.start("slow_action")
    by_name = admin_client.get(CHANGELIST, {"q": "slow_action"}).context["cl"].result_list
    assert [run.pk for run in by_name] == [slow.pk]
    by_id = admin_client.get(CHANGELIST, {"q": str(review.pk)}).context["cl"].result_list
    assert [run.pk for run in by_id] == [review.pk]


def test_filters(tm, admin_client):
    engine.start("api_expense_approval")
    done = engine.start("api_signal_wait")
    engine.signal("api_answer", {"answer": "x"}, run_id=done.pk)
    listed = admin_client.get(CHANGELIST, {"status__exact": "completed"}).context["cl"]
    assert [run.pk for run in listed.result_list] == [done.pk]


def test_change_page_shows_context_json_and_history(tm, admin_client):
    run = engine.start("api_signal_wait")
    engine.signal("api_answer", {"answer": "forty-two"}, run_id=run.pk)
    page = admin_client.get(f"{CHANGELIST}{run.pk}/change/").content.decode()
    assert "&quot;answer&quot;: &quot;forty-two&quot;" in page
    assert "ask" in page and "answered" in page  # history rows


def confirmed(action, *runs, **extra):
    return {"action": action, "_selected_action": [run.pk for run in runs], "post": "yes",
            **extra}


def test_cancel_and_retry_actions(tm, admin_client):
    flows.FLAKY["fixed"] = False
    try:
        waiting = engine.start("api_signal_wait")
        failed = engine.start("api_flaky")
        response = admin_client.post(CHANGELIST, confirmed("cancel_runs", waiting))
        assert response.status_code == 302
        waiting.refresh_from_db()
        assert waiting.status == WorkflowStatus.CANCELLED
        flows.FLAKY["fixed"] = True
        admin_client.post(CHANGELIST, confirmed("retry_runs", failed))
        failed.refresh_from_db()
        assert failed.status == WorkflowStatus.COMPLETED
    finally:
        flows.FLAKY["fixed"] = False


@pytest.mark.parametrize("action", ["cancel_runs", "retry_runs"])
def test_cancel_and_retry_ask_first_listing_the_runs(tm, admin_client, action):
    first, second = engine.start("api_signal_wait"), engine.start("api_signal_wait")
    untouched = engine.start("api_signal_wait")
    response = admin_client.post(CHANGELIST, {"action": action,
                                              "_selected_action": [first.pk, second.pk]})
    assert response.status_code == 200
    page = response.content.decode()
    assert "This acts on 2 runs" in page and 'name="post" value="yes"' in page
    assert [run.pk for run in response.context["runs"]] == [second.pk, first.pk]
    assert f'name="_selected_action" value="{first.pk}"' in page
    assert f'name="action" value="{action}"' in page
    for run in (first, second, untouched):  # nothing happened yet
        run.refresh_from_db()
        assert (run.status, run.seq) == (WorkflowStatus.SUSPENDED, untouched.seq)


def test_confirmed_cancel_records_the_reason(tm, admin_client):
    run = engine.start("api_signal_wait")
    admin_client.post(CHANGELIST, confirmed("cancel_runs", run, reason="duplicate order"))
    run.refresh_from_db()
    assert (run.status, run.error) == (WorkflowStatus.CANCELLED, "duplicate order")


def test_confirmation_of_all_matching_runs_posts_select_across(tm, admin_client):
    runs = [engine.start("api_signal_wait") for _ in range(3)]
    response = admin_client.post(CHANGELIST, {"action": "cancel_runs", "select_across": "1",
                                              "_selected_action": [runs[0].pk]})
    assert 'name="select_across" value="1"' in response.content.decode()
    assert response.context["total"] == 3
    admin_client.post(CHANGELIST, {"action": "cancel_runs", "select_across": "1", "post": "yes",
                                   "_selected_action": [runs[0].pk]})
    assert {r.status for r in WorkflowRun.objects.all()} == {WorkflowStatus.CANCELLED}


def test_retry_problems_are_reported(tm, admin_client):
    run = engine.start("api_signal_wait")
    run.cancel()
    response = admin_client.post(CHANGELIST, confirmed("retry_runs", run), follow=True)
    assert f"#{run.pk}" in response.content.decode()


def test_started_by_is_shown_and_filterable(tm, admin_client, user):
    mine = engine.start("api_signal_wait", started_by=user)
    engine.start("api_signal_wait")
    page = admin_client.get(f"{CHANGELIST}{mine.pk}/change/").content.decode()
    assert "alice" in page
    listed = admin_client.get(CHANGELIST, {"started_by__isempty": "0"}).context["cl"]
    assert [run.pk for run in listed.result_list] == [mine.pk]


def test_no_add_button(tm, admin_client):
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403


def test_confirmed_retry_of_a_healthy_run_runs_nothing_and_says_why(tm, admin_client):
    run = engine.start("api_signal_wait")
    seq = WorkflowRun.objects.get(pk=run.pk).seq
    response = admin_client.post(CHANGELIST, confirmed("retry_runs", run), follow=True)
    page = response.content.decode()
    assert f"#{run.pk}" in page and "suspended" in page and "Retried 0 run(s)" in page
    run.refresh_from_db()
    assert (run.status, run.seq) == (WorkflowStatus.SUSPENDED, seq)
