"""The run timeline: what the engine records per step visit, as data and as SVG."""

from datetime import timedelta

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import StepExecution, WorkflowRun
from django_ai.automation.workflows.observe.timeline import build_timeline
from django_ai.automation.workflows.observe.timeline_svg import render_svg


def kinds(row):
    return [segment["kind"] for segment in row["segments"]]


def test_timeline_rows_show_attempts_retries_subflows_sleeps_and_waits(order_run, tm):
    data = build_timeline(order_run, full_errors=True)
    rows = {row["step"]: row for row in data["rows"]}
    assert [row["step"] for row in data["rows"]] == [
        "receive", "validate", "charge", "after_payment", "wait_approval"]
    assert kinds(rows["receive"]) == ["attempt"]
    assert kinds(rows["validate"]) == ["attempt", "retry", "attempt"]
    failed, retry, ok = rows["validate"]["segments"]
    assert "inventory service answered 503" in failed["error"]
    assert ok["error"] is None
    assert retry["until"] == failed["end"] + timedelta(seconds=30)
    assert retry["end"] == ok["start"]  # a wait lasts until what followed it began
    assert kinds(rows["charge"]) == ["attempt", "subflow"]
    child = WorkflowRun.objects.get(parent_run=order_run)
    assert rows["charge"]["segments"][1]["child_run"] == child.pk
    assert data["children"][0]["id"] == child.pk
    assert kinds(rows["after_payment"]) == ["attempt", "sleep", "attempt"]
    current = rows["wait_approval"]
    assert current["status"] == "current"
    assert kinds(current) == ["attempt", "signal"]
    signal = current["segments"][1]
    assert signal["end"] is None and signal["detail"] == "ops_approve"
    assert signal["until"] == signal["start"] + timedelta(days=2)


def test_history_rows_keep_the_segments_and_the_run_log_empties(order_run, tm):
    engine.signal("ops_approve", run_id=order_run.pk)
    order_run.refresh_from_db()
    assert order_run.status == "completed" and order_run.step_log == []
    row = StepExecution.objects.get(run=order_run, step_name="wait_approval")
    assert [entry["k"] for entry in row.segments] == ["attempt", "signal"]
    data = build_timeline(order_run)
    assert [row["status"] for row in data["rows"]][-1] == "completed"


def test_non_staff_see_only_the_first_line_of_errors(order_run):
    data = build_timeline(order_run, full_errors=False)
    error = data["rows"][1]["segments"][0]["error"]
    assert error.startswith("RuntimeError: inventory service answered 503")
    assert "\n" not in error


def test_svg_has_a_row_per_visit_and_marks_errors(order_run):
    svg = str(render_svg(build_timeline(order_run), "/admin/run/0/change/"))
    assert svg.count('class="row ') == 5
    assert 'data-step="validate"' in svg
    assert "seg-error" in svg and "✕" in svg
    assert 'class="seg seg-retry"' in svg
    assert 'class="seg seg-signal seg-open"' in svg
    child = WorkflowRun.objects.get(parent_run=order_run)
    assert f'href="/admin/run/{child.pk}/change/"' in svg


def test_a_timed_out_wait_and_a_cancelled_run(order_run, tm):
    tm.advance(timedelta(days=2, seconds=1))
    order_run.refresh_from_db()
    assert order_run.status == "failed"
    data = build_timeline(order_run)
    assert [row["step"] for row in data["rows"]][-2:] == ["wait_approval", "expire"]
    assert data["rows"][-1]["status"] == "failed"
    assert kinds(data["rows"][-2]) == ["attempt", "signal"]


def test_a_long_sleep_loop_keeps_the_run_log_bounded():
    from types import SimpleNamespace

    from django.utils import timezone

    from django_ai.automation.workflows.engine import steplog

    run = SimpleNamespace(step_log=[])
    for _ in range(500):
        steplog.attempt(run, timezone.now())
        steplog.wait_began(run, "sleep", None)
    assert len(run.step_log) == steplog.MAX_ENTRIES
    elided = [entry for entry in run.step_log if entry["k"] == "elided"]
    assert len(elided) == 1
    assert elided[0]["n"] + steplog.MAX_ENTRIES - 1 == 1000


def test_a_broadcast_signal_keeps_each_runs_log(tm):
    """Runs resumed by one signal batch (one UPDATE on PostgreSQL) each keep their history."""
    runs = [engine.start("sample_approvals") for _ in range(3)]
    assert engine.signal("manager_approval", {"approved": True}) == 3
    for run in runs:
        run.refresh_from_db()
        row = StepExecution.objects.get(run=run, step_name="wait_for_approval")
        assert [entry["k"] for entry in row.segments] == ["attempt", "signal"]
        assert run.current_step == "wait_with_timeout"
        assert [entry["k"] for entry in run.step_log] == ["attempt", "signal"]
        assert run.step_log[1]["d"] == "user_response"
