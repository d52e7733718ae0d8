"""``astart``, ``asignal``, ``acancel`` and ``asubmit_action`` from async views, under ASGI."""

import json

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.errors import RunStateError
from django_ai.automation.workflows.models import WorkflowRun
from tests.api import workflows_api  # noqa: F401  (registers api_expense_approval)
from tests.testapp import workflows as sample


def call(method: str, path: str, body: dict | None = None) -> dict:
    client = AsyncClient()
    send = getattr(client, method)
    kwargs = {"data": json.dumps(body), "content_type": "application/json"} if body else {}
    response = async_to_sync(send)(path, **kwargs)
    assert response.status_code == 200, response.content
    return response.json()


def test_start_and_signal_from_async_views(tm):
    started = call("post", "/async/review/")
    assert started["status"] == "suspended"
    resumed = call("post", f"/async/review/{started['id']}/signal/",
                   {"reviewer_name": "Ada", "review_notes": "Fine", "approved": True})
    assert resumed == {"resumed": 1}
    run = WorkflowRun.objects.get(pk=started["id"])
    assert run.status == "completed" and run.data["reviewer_name"] == "Ada"
    assert sample.CALLS == ["reviewed by Ada"]


def test_cancel_from_an_async_view(tm):
    started = call("post", "/async/review/")
    assert call("post", f"/async/runs/{started['id']}/cancel/") == {"cancelled": True}
    run = WorkflowRun.objects.get(pk=started["id"])
    assert run.status == "cancelled" and run.error == "Cancelled from an async view"
    assert call("post", f"/async/runs/{started['id']}/cancel/") == {"cancelled": False}


def test_submit_action_from_an_async_view(tm):
    started = call("post", "/async/expense/")
    done = call("post", f"/async/expense/{started['id']}/submit/",
                {"reviewer_notes": "ok", "priority": "high"})
    assert done == {"status": "completed", "display": {
        "display_title": "Review Complete", "display_subtitle": "Expense has been reviewed"}}


def test_async_twins_raise_what_the_sync_methods_raise(tm):
    run = engine.start("sample_review")
    with pytest.raises(RunStateError):
        async_to_sync(engine.asubmit_action)(run.pk, "await_review", {})


def test_astart_returns_the_run_as_start_does(tm):
    run = async_to_sync(engine.astart)("sample_review")
    assert isinstance(run, WorkflowRun) and run.status == "suspended"
    assert async_to_sync(engine.asignal)("review_completed", {}, run_id=run.pk) == 1
