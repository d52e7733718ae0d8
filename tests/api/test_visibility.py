"""Safe by default: who sees and advances a run, on every endpoint, without and with a hook."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.checks import run_checks
from pydantic import BaseModel

from django_ai.automation.workflows import registry
from django_ai.automation.workflows.core import complete, engine, step, workflow
from django_ai.automation.workflows.models import WorkflowRun, WorkflowStatus
from tests.api.conftest import API, client_for

ALL_RUNS = "django_ai.automation.workflows.api.permissions.all_runs"
WHO = ["staff", "owner", "other", "anonymous"]


@pytest.fixture
def people(user, other_user, staff):
    return {"staff": staff, "owner": user, "other": other_user, "anonymous": None}


@pytest.fixture
def owned(tm, user):
    return engine.start("api_signal_wait", started_by=user)


def denied(code):
    return code in (401, 403)


# --- recording who started a run -------------------------------------------------------------

def test_a_run_records_who_started_it(tm, user):
    run = engine.start("api_signal_wait", started_by=user)
    assert WorkflowRun.objects.get(pk=run.pk).started_by == user
    assert engine.start("api_signal_wait").started_by is None


def test_started_by_never_reaches_the_context(tm, user):
    run = engine.start("api_signal_wait", started_by=user, answer="x")
    assert run.data == {"answer": "x"}


def test_an_anonymous_user_counts_as_nobody(tm):
    assert engine.start("api_signal_wait", started_by=AnonymousUser()).started_by_id is None


def test_an_unsaved_user_is_refused(tm):
    from django.contrib.auth.models import User

    with pytest.raises(ValueError, match="saved user"):
        engine.start("api_signal_wait", started_by=User(username="ghost"))


def test_children_are_started_by_whoever_started_the_parent(db, user):
    from django_ai.automation.testing import time_machine

    with time_machine():
        parent = engine.start("sample_user_registration", started_by=user,
                              user_email="a@example.com")
    children = WorkflowRun.objects.filter(parent_run=parent)
    assert children.exists()
    assert set(children.values_list("started_by", flat=True)) == {user.pk}


def test_deleting_the_user_keeps_the_run(tm, user):
    run = engine.start("api_signal_wait", started_by=user)
    user.delete()
    run.refresh_from_db()
    assert run.started_by_id is None and run.status == WorkflowStatus.SUSPENDED


@pytest.fixture
def reserved_name_workflow():
    @workflow("reserved_name_clash")
    class Clash:
        class Context(BaseModel):
            started_by: str = ""

        @step(start=True)
        def only(self):
            return complete()

    yield Clash
    registry.unregister("reserved_name_clash")


def test_a_context_field_named_like_a_start_option_is_a_check_error(db, reserved_name_workflow):
    errors = [e for e in run_checks() if e.id == "django_ai.W040"
              and "'reserved_name_clash'" in e.msg]
    assert len(errors) == 1 and "'started_by'" in errors[0].msg


# --- the permission matrix -------------------------------------------------------------------

@pytest.mark.parametrize("who", WHO)
def test_run_list(owned, people, who, tm):
    engine.start("api_signal_wait")  # nobody's run
    response = client_for(people[who]).get(f"{API}/runs/")
    if who == "anonymous":
        assert denied(response.status_code)
        return
    ids = [row["id"] for row in response.json()["results"]]
    expected = {"staff": 2, "owner": 1, "other": 0}[who]
    assert len(ids) == expected
    if who == "owner":
        assert ids == [owned.pk]
        assert response.json()["results"][0]["started_by"] == owned.started_by_id


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("path", ["", "display/", "history/"])
def test_reading_one_run(owned, people, who, path):
    response = client_for(people[who]).get(f"{API}/runs/{owned.pk}/{path}")
    if who == "anonymous":
        assert denied(response.status_code)
    else:
        assert response.status_code == {"staff": 200, "owner": 200, "other": 404}[who]


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("prefix", [f"{API}/actions", "/statezero/actions"])
def test_submitting_an_action(tm, people, user, who, prefix):
    # /statezero/ is StateZero's own view where it is installed, the package's elsewhere.
    run = engine.start("api_expense_approval", started_by=user)
    response = client_for(people[who]).post(
        f"{prefix}/api_submit_review/",
        {"workflow_run_id": run.pk, "reviewer_notes": "ok", "priority": "low"}, format="json")
    run.refresh_from_db()
    if who in ("staff", "owner"):
        assert response.status_code == 200
        assert run.status == WorkflowStatus.COMPLETED
    else:
        assert denied(response.status_code)
        assert run.status == WorkflowStatus.SUSPENDED


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("operation", ["cancel", "retry", "signal"])
def test_operator_endpoints_are_for_staff(owned, people, who, operation):
    response = client_for(people[who]).post(
        f"{API}/runs/{owned.pk}/{operation}/", {"name": "api_answer"}, format="json")
    owned.refresh_from_db()
    if who == "staff":
        assert response.status_code in (200, 409)
    else:
        assert denied(response.status_code)
        assert owned.status == WorkflowStatus.SUSPENDED


# --- the hook widens or narrows the default --------------------------------------------------

def test_a_hook_can_widen_the_default(owned, settings, other_user):
    settings.DJANGO_AI = {"BACKEND": "immediate", "RUN_VISIBILITY_HOOK": ALL_RUNS}
    other = client_for(other_user)
    assert other.get(f"{API}/runs/{owned.pk}/").status_code == 200
    assert other.get(f"{API}/runs/").json()["count"] == 1


def test_a_hook_can_narrow_what_staff_see(owned, settings, staff):
    settings.DJANGO_AI = {"BACKEND": "immediate",
                          "RUN_VISIBILITY_HOOK": "tests.api.hooks.nothing"}
    client = client_for(staff)
    assert client.get(f"{API}/runs/").json()["count"] == 0
    assert client.get(f"{API}/runs/{owned.pk}/history/").status_code == 404


def test_a_hook_may_build_on_the_default(tm, settings, user, other_user):
    settings.DJANGO_AI = {"BACKEND": "immediate",
                          "RUN_VISIBILITY_HOOK": "tests.api.hooks.own_or_named"}
    mine = engine.start("owned_approval", started_by=user)
    named = engine.start("owned_approval", owner="alice", started_by=other_user)
    engine.start("owned_approval", owner="bob", started_by=other_user)
    ids = {row["id"] for row in client_for(user).get(f"{API}/runs/").json()["results"]}
    assert ids == {mine.pk, named.pk}


def test_broadcast_reaches_only_the_runs_the_staff_user_may_see(tm, settings, staff, user,
                                                                 other_user):
    settings.DJANGO_AI = {"BACKEND": "immediate",
                          "RUN_VISIBILITY_HOOK": "tests.api.hooks.started_by_me"}
    visible = engine.start("api_signal_wait", started_by=staff)
    hidden = engine.start("api_signal_wait", started_by=other_user)
    response = client_for(staff).post(f"{API}/signals/api_answer/",
                                      {"payload": {"answer": "yes"}}, format="json")
    assert response.json() == {"resumed": 1}
    visible.refresh_from_db()
    hidden.refresh_from_db()
    assert (visible.status, hidden.status) == (WorkflowStatus.COMPLETED,
                                               WorkflowStatus.SUSPENDED)


def test_broadcast_without_a_hook_reaches_every_waiting_run(tm, staff, user, other_user):
    runs = [engine.start("api_signal_wait", started_by=who) for who in (user, other_user, None)]
    response = client_for(staff).post(f"{API}/signals/api_answer/", {"payload": {}},
                                      format="json")
    assert response.json() == {"resumed": 3}
    assert {WorkflowRun.objects.get(pk=r.pk).status for r in runs} == {WorkflowStatus.COMPLETED}


# --- the OpenAPI schema ----------------------------------------------------------------------

SCHEMA = f"{API}/schema/"


def test_schema_needs_an_authenticated_user(db, user):
    assert denied(client_for().get(SCHEMA).status_code)
    assert client_for(user).get(SCHEMA).status_code == 200


def test_a_setting_opens_the_schema(db, settings):
    settings.DJANGO_AI = {"BACKEND": "immediate", "API_SCHEMA_PUBLIC": True}
    assert client_for().get(SCHEMA).status_code == 200


def test_the_start_endpoint_records_the_user(tm, settings, user, other_user):
    settings.DJANGO_AI = {"BACKEND": "immediate", "API_START": {"api_signal_wait": []}}
    response = client_for(user).post(f"{API}/start/api_signal_wait/", {"answer": "x"},
                                     format="json")
    assert response.status_code == 201
    run = WorkflowRun.objects.get(pk=response.json()["id"])
    assert run.started_by == user and response.json()["started_by"] == user.pk
    # The starter reads it; another user does not.
    assert client_for(user).get(f"{API}/runs/{run.pk}/").status_code == 200
    assert client_for(other_user).get(f"{API}/runs/{run.pk}/").status_code == 404


def test_the_start_endpoint_cannot_be_told_another_starter(tm, settings, user, other_user):
    settings.DJANGO_AI = {"BACKEND": "immediate", "API_START": {"api_signal_wait": []}}
    response = client_for(user).post(f"{API}/start/api_signal_wait/",
                                     {"started_by": other_user.pk}, format="json")
    assert response.status_code == 400
    assert not WorkflowRun.objects.exists()


def test_the_start_endpoint_refuses_unstorable_bodies(tm, settings, user):
    settings.DJANGO_AI = {"BACKEND": "immediate", "API_START": {"api_signal_wait": []}}
    response = client_for(user).post(f"{API}/start/api_signal_wait/",
                                     data=('{"answer": ' + "[" * 5000 + "]" * 5000 + "}").encode(),
                                     content_type="application/json")
    assert response.status_code == 400
    assert not WorkflowRun.objects.exists()
