"""No 500s for bad input: bodies the database cannot store are 400s, state problems 409s, and
no traceback reaches a non-staff user whatever DEBUG is."""

import json

import pytest
from django.conf import settings as settings_module

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowRun, WorkflowStatus
from tests.api.conftest import API, client_for


def post_raw(client, path, text):
    return client.post(path, data=text.encode(), content_type="application/json")


def nested(depth):
    return "[" * depth + "]" * depth


@pytest.fixture
def waiting(tm):
    return engine.start("api_signal_wait")


UNSTORABLE = {
    "huge float": '{"payload": {"answer": 1e999}}',
    "negative huge float": '{"payload": {"answer": -1e999}}',
    "NaN": '{"payload": {"answer": NaN}}',
    "Infinity": '{"payload": {"answer": Infinity}}',
    "huge integer": '{"payload": {"answer": 123456789012345678901234567890}}',
    "NUL in a value": '{"payload": {"answer": "a\\u0000b"}}',
    "NUL in a key": '{"payload": {"a\\u0000b": "x"}}',
    "nested 300 deep": '{"payload": {"answer": ' + nested(300) + "}}",
    "nested 100000 deep": '{"payload": {"answer": ' + nested(100_000) + "}}",
    "not JSON": '{"payload": ',
}


@pytest.mark.parametrize("body", UNSTORABLE.values(), ids=UNSTORABLE.keys())
@pytest.mark.parametrize("target", ["run", "broadcast"])
def test_staff_signal_bodies_the_database_cannot_store_are_400(waiting, staff, body, target):
    path = (f"{API}/runs/{waiting.pk}/signal/" if target == "run" else
            f"{API}/signals/api_answer/")
    if target == "run":
        body = body.replace('{"payload"', '{"name": "api_answer", "payload"', 1)
    response = post_raw(client_for(staff), path, body)
    assert response.status_code == 400, response.content[:300]
    assert response.json()["detail"].startswith("JSON parse error")
    waiting.refresh_from_db()
    assert waiting.status == WorkflowStatus.SUSPENDED


def test_the_400_says_what_is_wrong_and_where(waiting, staff):
    client = client_for(staff)
    detail = post_raw(client, f"{API}/signals/api_answer/", UNSTORABLE["huge float"]).json()
    assert "1e999" in detail["detail"] and "out of range" in detail["detail"]
    detail = post_raw(client, f"{API}/signals/api_answer/", UNSTORABLE["NUL in a value"]).json()
    assert "payload.answer" in detail["detail"] and "NUL" in detail["detail"]
    detail = post_raw(client, f"{API}/signals/api_answer/", UNSTORABLE["nested 300 deep"]).json()
    assert "64 levels" in detail["detail"]


@pytest.mark.parametrize("payload", [{"a": "x\x00"}, {"a": float("inf")}, {"a": 2**70},
                                     {"a\x00": 1}])
def test_payloads_from_any_parser_are_checked_too(payload):
    # Form-encoded bodies skip the JSON parser: the payload fields validate the same rule.
    from django_ai.automation.workflows.api.serializers import (
        BroadcastSignalSerializer,
        SignalSerializer,
    )

    assert not BroadcastSignalSerializer(data={"payload": payload}).is_valid()
    inputs = SignalSerializer(data={"name": "x", "payload": payload})
    assert not inputs.is_valid() and "cannot be stored" in str(inputs.errors["payload"])


@pytest.mark.parametrize("body", [UNSTORABLE["huge float"], UNSTORABLE["NUL in a value"],
                                  UNSTORABLE["nested 100000 deep"]])
def test_action_bodies_the_database_cannot_store_are_400(tm, user, body):
    run = engine.start("api_expense_approval", started_by=user)
    start = f'{{"workflow_run_id": {run.pk}, "reviewer_notes": '
    text = body.replace('{"payload": {"answer": ', start).replace("}}", ', "priority": "low"}', 1)
    response = post_raw(client_for(user), f"{API}/actions/api_submit_review/", text)
    assert response.status_code == 400
    run.refresh_from_db()
    assert run.status == WorkflowStatus.SUSPENDED


def test_a_storable_body_still_works(waiting, staff):
    body = json.dumps({"name": "api_answer", "payload": {"answer": "fine ✓"}})
    response = post_raw(client_for(staff), f"{API}/runs/{waiting.pk}/signal/", body)
    assert response.status_code == 200 and response.json()["resumed"] == 1


# --- state problems are 409s ------------------------------------------------------------------

def test_retry_of_a_run_whose_workflow_was_removed_is_409(db, staff):
    run = WorkflowRun.objects.create(name="workflow_removed_in_a_deploy", current_step="gone",
                                     status=WorkflowStatus.FAILED, error="boom")
    response = client_for(staff).post(f"{API}/runs/{run.pk}/retry/")
    assert response.status_code == 409
    body = response.json()
    assert body["status"] == "failed" and "workflow_removed_in_a_deploy" in body["detail"]


def test_retry_of_a_run_in_another_state_is_409_with_its_status(tm, staff):
    run = engine.start("api_signal_wait")
    engine.signal("api_answer", {"answer": "x"}, run_id=run.pk)
    response = client_for(staff).post(f"{API}/runs/{run.pk}/retry/")
    assert response.status_code == 409
    assert response.json()["status"] == "completed"


def test_cancel_of_a_run_whose_workflow_was_removed_still_cancels(db, staff):
    run = WorkflowRun.objects.create(name="workflow_removed_in_a_deploy", current_step="gone",
                                     status=WorkflowStatus.SUSPENDED)
    response = client_for(staff).post(f"{API}/runs/{run.pk}/cancel/", {}, format="json")
    assert response.status_code in (200, 409)


# --- no traceback for non-staff users ---------------------------------------------------------

@pytest.fixture
def broken_hook(settings):
    settings.DJANGO_AI = {"BACKEND": "immediate",
                          "RUN_VISIBILITY_HOOK": "tests.api.hooks.broken"}


@pytest.mark.parametrize("debug", [False, True])
def test_an_unexpected_error_shows_no_traceback_to_users(db, settings, broken_hook, user, debug):
    settings.DEBUG = debug
    response = client_for(user).get(f"{API}/runs/")
    assert response.status_code == 500
    text = response.content.decode()
    assert response["Content-Type"] == "application/json"
    assert "Traceback" not in text and "hook exploded" not in text


def test_staff_on_a_debug_server_get_the_real_error(db, settings, broken_hook, staff):
    settings.DEBUG = True
    with pytest.raises(RuntimeError, match="hook exploded"):
        client_for(staff).get(f"{API}/runs/")


@pytest.mark.parametrize("debug", [False, True])
def test_a_failing_action_body_shows_its_error_to_staff_on_debug_only(tm, settings, user, staff,
                                                                      debug):
    settings.DEBUG = debug
    run = engine.start("checked_amount", started_by=user)
    for who, may_see in ((user, False), (staff, debug)):
        response = client_for(who).post(f"{API}/actions/enter_amount/",
                                        {"workflow_run_id": run.pk, "amount": 13}, format="json")
        assert response.status_code == 500
        assert ("unlucky amount" in response.json()["detail"]) is may_see


@pytest.mark.skipif(not getattr(settings_module, "STATEZERO_INSTALLED", False),
                    reason="StateZero is not installed (the .venv-statezero tier runs this)")
@pytest.mark.parametrize("debug", [False, True])
def test_statezero_shows_no_error_text_to_users(tm, settings, user, staff, debug):
    settings.DEBUG = debug
    run = engine.start("api_expense_approval", started_by=user)
    settings.DJANGO_AI = {"BACKEND": "immediate", "RUN_VISIBILITY_HOOK": "tests.api.hooks.broken"}
    body = {"workflow_run_id": run.pk, "reviewer_notes": "x", "priority": "low"}
    response = client_for(user).post("/statezero/actions/api_submit_review/", body,
                                     format="json")
    assert response.status_code == 500
    assert "hook exploded" not in response.content.decode()
    staff_answer = client_for(staff).post("/statezero/actions/api_submit_review/", body,
                                          format="json")
    assert ("hook exploded" in staff_answer.content.decode()) is debug


def test_retry_of_a_healthy_waiting_run_is_409_and_runs_nothing(tm, staff):
    run = engine.start("api_signal_wait")
    seq = WorkflowRun.objects.get(pk=run.pk).seq
    response = client_for(staff).post(f"{API}/runs/{run.pk}/retry/")
    assert response.status_code == 409
    assert (response.json()["status"], response.json()["current_step"]) == ("suspended", "ask")
    run.refresh_from_db()
    assert run.seq == seq and not run.step_executions.exists()
