"""REST for issue 12: the start endpoint with Idempotency-Key, key filters, kept signals."""

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from rest_framework.permissions import BasePermission

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowRun, WorkflowStatus
from tests.api.conftest import API, client_for

CHANGELIST = "/admin/django_ai_workflows/workflowrun/"


class OnlyApprovers(BasePermission):
    message = "Only approvers may start this."

    def has_permission(self, request, view):
        return request.user.groups.filter(name="approvers").exists()


@pytest.fixture
def served(settings):
    settings.DJANGO_AI = {"API_START": {
        "prod_once": [], "prod_quick": ["tests.api.test_production_api.OnlyApprovers"]}}


def test_start_is_off_unless_the_workflow_is_listed(tm, api):
    response = api.post(f"{API}/start/prod_once/", {"order_id": 1}, format="json")
    assert response.status_code == 404
    assert not WorkflowRun.objects.exists()


def test_start_with_an_idempotency_key_creates_one_run(tm, api, served):
    headers = {"HTTP_IDEMPOTENCY_KEY": "order-1"}
    first = api.post(f"{API}/start/prod_once/", {"order_id": 1}, format="json", **headers)
    assert first.status_code == 201
    assert (first.json()["status"], first.json()["idempotency_key"]) == ("suspended", "order-1")
    again = api.post(f"{API}/start/prod_once/", {"order_id": 1}, format="json", **headers)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert WorkflowRun.objects.count() == 1
    unkeyed = api.post(f"{API}/start/prod_once/", {}, format="json")
    assert unkeyed.status_code == 201 and unkeyed.json()["idempotency_key"] == ""


def test_start_needs_the_api_permissions_and_the_workflows_own(tm, served, user, approver):
    anonymous = client_for().post(f"{API}/start/prod_once/", {}, format="json")
    assert anonymous.status_code in (401, 403)
    refused = client_for(User.objects.create_user("dave")).post(
        f"{API}/start/prod_quick/", {}, format="json")
    assert refused.status_code == 403 and "approvers" in refused.json()["detail"]
    allowed = client_for(approver).post(f"{API}/start/prod_quick/", {}, format="json")
    assert allowed.status_code == 201 and allowed.json()["status"] == "completed"


def test_start_arguments_the_context_rejects_are_400(tm, api, served):
    response = api.post(f"{API}/start/prod_once/", {"order_id": "many"}, format="json")
    assert response.status_code == 400 and "order_id" in response.json()
    bad_key = api.post(f"{API}/start/prod_once/", {}, format="json",
                       HTTP_IDEMPOTENCY_KEY="k" * 300)
    assert bad_key.status_code == 400
    assert not WorkflowRun.objects.exists()


def test_filters_by_idempotency_key_in_the_api_and_the_admin(tm, api, user, db):
    keyed = engine.start("prod_once", idempotency_key="invoice-9", started_by=user)
    engine.start("prod_once", started_by=user)
    rows = api.get(f"{API}/runs/?idempotency_key=invoice-9").json()["results"]
    assert [row["id"] for row in rows] == [keyed.pk]
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", "root@example.com"))
    found = admin.get(CHANGELIST, {"q": "invoice-9"}).context["cl"].result_list
    assert [run.pk for run in found] == [keyed.pk]
    only_keyed = admin.get(CHANGELIST, {"keyed": "yes"}).context["cl"].result_list
    assert [run.pk for run in only_keyed] == [keyed.pk]


def test_a_signal_to_an_active_run_not_waiting_for_it_is_kept(tm, staff):
    client = client_for(staff)
    with transaction.atomic():
        run = engine.start("prod_early")
        response = client.post(f"{API}/runs/{run.pk}/signal/",
                               {"name": "prod-approve", "payload": {"approved": True}},
                               format="json")
        assert response.status_code == 200
        body = response.json()
        assert (body["resumed"], body["kept"]) == (0, True)
        assert [item["name"] for item in body["kept_signals"]] == ["prod-approve"]
        page = Client()
        page.force_login(User.objects.create_superuser("root", "root@example.com"))
        change = page.get(f"{CHANGELIST}{run.pk}/change/").content.decode()
        assert "prod-approve" in change
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED and run.data["approved"] is True


def test_a_signal_to_a_finished_run_is_409(tm, staff):
    run = engine.start("prod_quick")
    response = client_for(staff).post(f"{API}/runs/{run.pk}/signal/", {"name": "prod-approve"},
                                      format="json")
    assert response.status_code == 409
    assert response.json()["status"] == "completed" and "cannot reach" in response.json()["detail"]


def test_the_openapi_schema_documents_the_start_endpoint(tm, api):
    pytest.importorskip("drf_spectacular", reason="drf-spectacular (dev extra) not installed")
    schema = api.get(f"{API}/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/start/{name}/"]["post"]
    assert {"200", "201", "400", "404"} <= set(operation["responses"])
    assert {"name": "Idempotency-Key", "in": "header"} in [
        {"name": p["name"], "in": p["in"]} for p in operation["parameters"]]
