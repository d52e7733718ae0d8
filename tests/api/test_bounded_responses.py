"""Bounded responses: the run list is paginated, a run's detail caps its history."""

import pytest
from rest_framework.settings import api_settings

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import StepExecution, WorkflowRun, WorkflowStatus
from tests.api.conftest import API, client_for


def make_runs(count, user=None):
    WorkflowRun.objects.bulk_create(
        WorkflowRun(name="api_signal_wait", status=WorkflowStatus.COMPLETED, started_by=user)
        for _ in range(count))


@pytest.fixture
def drf_settings(settings):
    """Override REST_FRAMEWORK and reload DRF's cached settings (and back afterwards)."""

    def apply(**values):
        settings.REST_FRAMEWORK = values
        api_settings.reload()

    yield apply
    api_settings.reload()


def test_the_run_list_is_paginated_by_fifty(db, staff):
    make_runs(120)
    page = client_for(staff).get(f"{API}/runs/").json()
    assert page["count"] == 120 and len(page["results"]) == 50
    assert page["results"][0]["id"] > page["results"][-1]["id"]  # newest first
    assert "page=2" in page["next"] and page["previous"] is None
    last = client_for(staff).get(f"{API}/runs/?page=3").json()
    assert len(last["results"]) == 20 and last["next"] is None


def test_page_size_can_be_asked_for_up_to_five_hundred(db, staff):
    make_runs(520)
    client = client_for(staff)
    assert len(client.get(f"{API}/runs/?page_size=10").json()["results"]) == 10
    assert len(client.get(f"{API}/runs/?page_size=100000").json()["results"]) == 500


def test_an_unknown_page_is_404_not_500(db, staff):
    make_runs(3)
    client = client_for(staff)
    assert client.get(f"{API}/runs/?page=99").status_code == 404
    assert client.get(f"{API}/runs/?page=abc").status_code == 404


def test_the_settings_change_the_bounds(db, staff, settings):
    settings.DJANGO_AI = {"BACKEND": "immediate", "API_PAGE_SIZE": 5, "API_MAX_PAGE_SIZE": 7}
    make_runs(20)
    client = client_for(staff)
    assert len(client.get(f"{API}/runs/").json()["results"]) == 5
    assert len(client.get(f"{API}/runs/?page_size=50").json()["results"]) == 7


def test_the_projects_page_size_is_respected(db, staff, drf_settings):
    drf_settings(PAGE_SIZE=3)
    make_runs(10)
    assert len(client_for(staff).get(f"{API}/runs/").json()["results"]) == 3


def test_the_projects_pagination_class_is_respected_and_bounded(db, staff, drf_settings):
    drf_settings(DEFAULT_PAGINATION_CLASS="rest_framework.pagination.LimitOffsetPagination")
    make_runs(600)
    client = client_for(staff)
    page = client.get(f"{API}/runs/").json()
    assert page["count"] == 600 and len(page["results"]) == 50
    assert len(client.get(f"{API}/runs/?limit=100000").json()["results"]) == 500
    assert len(client.get(f"{API}/runs/?limit=20&offset=590").json()["results"]) == 10


def test_cursor_pagination_works_on_runs(db, staff, drf_settings):
    drf_settings(DEFAULT_PAGINATION_CLASS="rest_framework.pagination.CursorPagination",
                 PAGE_SIZE=4)
    make_runs(6)
    client = client_for(staff)
    first = client.get(f"{API}/runs/").json()
    assert len(first["results"]) == 4
    rest = client.get(first["next"]).json()
    assert len(rest["results"]) == 2


def test_a_user_pages_through_their_own_runs_only(db, user, other_user):
    make_runs(60, user)
    make_runs(5, other_user)
    page = client_for(user).get(f"{API}/runs/").json()
    assert page["count"] == 60


def add_history(run, count):
    StepExecution.objects.bulk_create(
        StepExecution(run=run, step_name=f"step_{i}", status="completed") for i in range(count))


def test_the_detail_caps_its_history_and_links_the_rest(tm, staff, django_assert_num_queries):
    run = engine.start("api_signal_wait")
    add_history(run, 130)
    client = client_for(staff)
    with django_assert_num_queries(2):  # the run, then at most 51 history rows
        detail = client.get(f"{API}/runs/{run.pk}/").json()
    assert len(detail["history"]) == 50 and detail["history_truncated"] is True
    # The latest rows, oldest first.
    assert [row["step_name"] for row in detail["history"]][:2] == ["step_80", "step_81"]
    assert detail["history"][-1]["step_name"] == "step_129"
    assert detail["history_url"].endswith(f"{API}/runs/{run.pk}/history/")

    first = client.get(detail["history_url"]).json()
    assert first["count"] == 130 and first["results"][0]["step_name"] == "step_0"
    names = [row["step_name"] for row in first["results"]]
    url = first["next"]
    while url:
        page = client.get(url).json()
        names += [row["step_name"] for row in page["results"]]
        url = page["next"]
    assert names == [f"step_{i}" for i in range(130)]


def test_a_short_history_is_whole(tm, staff):
    run = engine.start("api_signal_wait")
    add_history(run, 3)
    detail = client_for(staff).get(f"{API}/runs/{run.pk}/").json()
    assert len(detail["history"]) == 3 and detail["history_truncated"] is False


def test_history_pages_are_bounded(tm, staff):
    run = engine.start("api_signal_wait")
    add_history(run, 600)
    page = client_for(staff).get(f"{API}/runs/{run.pk}/history/?page_size=100000").json()
    assert len(page["results"]) == 500
