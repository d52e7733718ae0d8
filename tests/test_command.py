"""The ``workflows`` management command, driven as an operator would from a shell."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pydantic import BaseModel

from django_ai.automation.workflows import registry
from django_ai.automation.workflows.core import complete, engine, goto, step, wait, workflow
from django_ai.automation.workflows.management.runinfo import parse_age
from django_ai.automation.workflows.models import WorkflowRun, WorkflowStatus


def run_command(*args):
    out, err = StringIO(), StringIO()
    call_command("workflows", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_list_filters_by_status_and_name(tm):
    waiting = engine.start("sample_approvals")
    done = engine.start("sample_order_fulfillment", order_id=1)
    out, _ = run_command("list", "--status", "suspended")
    assert f"{waiting.pk:>7}  sample_approvals" in out
    assert "sample_order_fulfillment" not in out
    assert "1 of 1 matching runs shown." in out
    out, _ = run_command("list", "--name", "sample_order_fulfillment")
    assert f"{done.pk:>7}  sample_order_fulfillment" in out and "sample_approvals" not in out


def test_list_filters_by_age(tm):
    old = engine.start("sample_approvals")
    tm.advance(timedelta(hours=3))
    new = engine.start("sample_approvals")
    out, _ = run_command("list", "--older-than", "2h")
    assert f"{old.pk:>7}" in out and f"{new.pk:>7}" not in out
    out, _ = run_command("list", "--newer-than", "1h")
    assert f"{new.pk:>7}" in out and f"{old.pk:>7}" not in out


def test_list_rejects_a_bad_age(tm):
    with pytest.raises(CommandError, match="'two hours' is not an age"):
        run_command("list", "--older-than", "two hours")


def test_parse_age_units():
    assert parse_age("90s") == timedelta(seconds=90)
    assert parse_age("1.5h") == timedelta(minutes=90)
    assert parse_age("2w") == timedelta(days=14)


def test_show_explains_a_signal_wait_with_its_timeout(tm):
    run = engine.start("sample_approvals")
    engine.signal("manager_approval", {"notes": "fine"}, run_id=run.pk)
    out, _ = run_command("show", str(run.pk))
    assert f"Run {run.pk}: sample_approvals (version 1)" in out
    assert "Waiting for signal 'user_response'" in out
    assert "then step 'send_final_notice'" in out
    expected_timeout = (tm.now + timedelta(days=7)).strftime("%Y-%m-%d %H:%M")
    assert expected_timeout in out and "(in 7d)" in out
    assert '"notes": "fine"' in out
    assert "completed  wait_for_approval" in out


def test_show_explains_a_sleep_and_a_retry(tm):
    sleeper = engine.start("sample_reminders")
    out, _ = run_command("show", str(sleeper.pk))
    assert "Sleeping; step 'send_reminder' runs again" in out and "(in 1d)" in out
    flaky = engine.start("sample_flaky")
    out, _ = run_command("show", str(flaky.pk))
    assert "Step 'call_api' failed attempt 1; the next attempt is" in out


def test_show_failed_run_gives_error_and_history(tm):
    run = engine.start("sample_order_processing", order_id=5)
    tm.advance(timedelta(seconds=5))
    out, _ = run_command("show", str(run.pk))
    assert "Not waiting: the run is failed." in out
    assert "ConnectionError: shipping service down" in out
    assert "failed     ship_order" in out


def test_show_unknown_run_is_a_clear_error(tm):
    with pytest.raises(CommandError, match="No workflow run with id 999"):
        run_command("show", "999")


def test_cancel_and_cancel_again(tm):
    run = engine.start("sample_approvals")
    out, _ = run_command("cancel", str(run.pk), "--reason", "duplicate")
    assert f"Run {run.pk} cancelled." in out
    run.refresh_from_db()
    assert run.status == WorkflowStatus.CANCELLED and run.error == "duplicate"
    out, _ = run_command("cancel", str(run.pk))
    assert "had already finished" in out


def test_retry_resumes_a_failed_run(tm):
    run = engine.start("sample_order_processing", order_id=6)
    tm.advance(timedelta(seconds=5))
    run.refresh_from_db()
    assert run.status == WorkflowStatus.FAILED
    WorkflowRun.objects.filter(pk=run.pk).update(
        data={**run.data, "fail_shipping": False})
    out, _ = run_command("retry", str(run.pk))
    assert f"Run {run.pk} retried at step 'ship_order'; now completed." in out


def test_retry_of_a_completed_run_is_refused(tm):
    run = engine.start("sample_order_fulfillment", order_id=1)
    with pytest.raises(CommandError, match="is completed"):
        run_command("retry", str(run.pk))


def test_signal_with_json_payload(tm):
    run = engine.start("sample_review")
    out, _ = run_command("signal", "review_completed", '{"reviewer_name": "Jane"}', "--all")
    assert "resumed 1 run(s)" in out
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED and run.data["reviewer_name"] == "Jane"


def test_signal_to_one_run_only(tm):
    first, second = engine.start("sample_approvals"), engine.start("sample_approvals")
    out, _ = run_command("signal", "manager_approval", "--run", str(second.pk))
    assert "resumed 1 run(s)" in out
    first.refresh_from_db()
    assert first.current_step == "wait_for_approval"


@pytest.mark.parametrize("payload, message", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
])
def test_signal_rejects_bad_payload(tm, payload, message):
    with pytest.raises(CommandError, match=message):
        run_command("signal", "manager_approval", payload, "--all")


def test_signal_payload_failing_validation_names_the_field(tm):
    engine.start("sample_review")
    with pytest.raises(CommandError, match="approved"):
        run_command("signal", "review_completed", '{"approved": "perhaps"}', "--all")


def test_graph_reads_transitions_from_the_code():
    out, _ = run_command("graph", "sample_approvals")
    assert out.startswith("flowchart TD\n")
    assert "start --> wait_for_approval" in out
    assert 'wait_for_approval -->|"signal manager_approval"| wait_with_timeout' in out
    assert 'wait_with_timeout -.->|"timeout 7d"| send_final_notice' in out
    assert "finish --> completed" in out


def test_graph_shows_subflows_sleeps_waits_and_compensation():
    out, _ = run_command("graph", "sample_user_registration")
    assert 'create_user -->|"subflow SendNotificationWorkflow"| after_notification' in out
    assert 'after_notification -.->|"fail"| failed' in out
    out, _ = run_command("graph", "sample_reminders")
    assert 'send_reminder -->|"sleep"| send_reminder' in out
    assert "send_reminder --> escalate" in out
    out, _ = run_command("graph", "sample_email_verification")
    assert "wait_for_verification{{" in out and "waits for email_verified" in out
    out, _ = run_command("graph", "sample_order_processing")
    assert '"@on_fail"| cleanup' in out


def test_graph_of_unknown_workflow_lists_known_ones():
    with pytest.raises(CommandError, match=r"No workflow named 'nope'\. Known workflows: .*appr"):
        run_command("graph", "nope")


def test_check_passes_on_a_healthy_project(tm):
    engine.start("sample_approvals")
    out, _ = run_command("check", "sample_approvals", "sample_order_fulfillment")
    assert "Checked 2 registered workflow(s)." in out
    assert "Checked 1 run(s) in flight." in out
    assert "No problems found." in out


def test_check_reports_runs_at_steps_that_no_longer_exist(tm):
    run = engine.start("sample_approvals")
    WorkflowRun.objects.filter(pk=run.pk).update(current_step="renamed_step")
    orphan = engine.start("sample_approvals")
    WorkflowRun.objects.filter(pk=orphan.pk).update(name="deleted_workflow")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command("workflows", "check", stdout=out, stderr=err)
    assert "at step 'renamed_step', which the workflow no longer has" in err.getvalue()
    assert "workflow 'deleted_workflow' is not registered any more" in err.getvalue()


@pytest.fixture
def broken_workflow():
    @workflow("broken_for_check")
    class Broken:
        class Context(BaseModel):
            pass

        @step(start=True)
        def first(self):
            return goto("no_such_step")

        @step()
        def unused(self):
            return complete()

        @step()
        def last_wait(self):
            return wait.for_signal("never")

    yield Broken
    registry.unregister("broken_for_check")


def test_check_of_the_whole_registry_finds_the_broken_samples(db):
    # tests.testapp deliberately declares a workflow with mistakes (for the engine's tests).
    err = StringIO()
    with pytest.raises(CommandError, match="problem"):
        call_command("workflows", "check", stdout=StringIO(), stderr=err)
    assert "workflow 'rules_mistakes'" in err.getvalue()


def test_check_reports_transitions_to_missing_steps(db, broken_workflow):
    err = StringIO()
    with pytest.raises(CommandError, match="2 problem"):
        call_command("workflows", "check", "broken_for_check", stdout=StringIO(), stderr=err)
    assert ("workflow 'broken_for_check': step 'first' leads to 'no_such_step', which is not a "
            "step of this workflow") in err.getvalue()
    assert "step 'last_wait' leads to 'no step after'" in err.getvalue()


def test_tick_fires_due_timers(tm):
    run = engine.start("sample_reminders")
    tm.advance(timedelta(hours=1))  # moves the clock without reaching the 24 h sleep
    WorkflowRun.objects.filter(pk=run.pk).update(wake_at=tm.now - timedelta(seconds=1))
    out, _ = run_command("tick")
    assert "Tick: 1 timer(s) fired" in out
    run.refresh_from_db()
    assert run.data["reminders_sent"] == 2


def test_tick_rejects_a_bad_interval(tm):
    with pytest.raises(CommandError, match="positive number"):
        run_command("tick", "--every", "0")
