"""Retention: ``workflows prune`` and the ``RETENTION`` setting."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import StepExecution, WorkflowRun
from django_ai.automation.workflows.observe.retention import parse_retention, prune


def prune_command(*args):
    out = StringIO()
    call_command("workflows", "prune", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def aged(tm):
    """Two completed order runs and a completed parent with its child, 40 days old; then
    one run completed today and one still waiting."""
    old = [engine.start("sample_order_fulfillment", order_id=n) for n in (1, 2)]
    parent = engine.start("sample_user_registration", user_email="a@example.com")
    tm.run_until_idle()
    tm.advance(timedelta(days=40))
    recent = engine.start("sample_order_fulfillment", order_id=3)
    waiting = engine.start("sample_review")
    tm.run_until_idle()
    return {"old": old, "parent": parent, "recent": recent, "waiting": waiting}


def test_prune_deletes_old_finished_runs_with_history_and_children(aged):
    child = WorkflowRun.objects.get(parent_run=aged["parent"])
    before = StepExecution.objects.count()
    report = prune(engine_now() - timedelta(days=30))
    gone = [*aged["old"], aged["parent"], child]
    assert not WorkflowRun.objects.filter(pk__in=[run.pk for run in gone]).exists()
    assert WorkflowRun.objects.filter(pk__in=[aged["recent"].pk, aged["waiting"].pk]).count() == 2
    assert report.runs == 4
    assert report.history_rows == before - StepExecution.objects.count() > 0
    assert report.by_workflow[("sample_order_fulfillment", "completed")] == 2


def engine_now():
    from django_ai.automation.workflows.clock import now

    return now()


def test_dry_run_shows_and_deletes_nothing(aged):
    count = WorkflowRun.objects.count()
    out = prune_command("--finished-before", "30d", "--dry-run")
    assert WorkflowRun.objects.count() == count
    assert "Would delete 4 run(s)" in out
    assert "sample_order_fulfillment" in out and "completed" in out


def test_prune_command_reports_batches(aged):
    out = prune_command("--finished-before", "30d", "--batch-size", "1")
    # Three top-level runs (the child goes with its parent), one per batch.
    assert "Deleted 4 run(s)" in out and "in 3 batch(es)" in out


def test_never_takes_a_run_whose_parent_is_unfinished(aged):
    parent = aged["parent"]
    child = WorkflowRun.objects.get(parent_run=parent)
    WorkflowRun.objects.filter(pk=parent.pk).update(status="suspended", finished_at=None)
    prune(engine_now() - timedelta(days=30))
    assert WorkflowRun.objects.filter(pk__in=[parent.pk, child.pk]).count() == 2


def test_never_takes_a_parent_whose_child_is_active(aged):
    parent = aged["parent"]
    child = WorkflowRun.objects.get(parent_run=parent)
    WorkflowRun.objects.filter(pk=child.pk).update(status="running", finished_at=None)
    prune(engine_now() - timedelta(days=30))
    assert WorkflowRun.objects.filter(pk__in=[parent.pk, child.pk]).count() == 2


def test_retention_setting_applies_on_tick(aged, tm):
    with override_settings(DJANGO_AI={"BACKEND": "immediate", "RETENTION": "30d"}):
        engine.tick()
    assert not WorkflowRun.objects.filter(pk=aged["old"][0].pk).exists()
    assert WorkflowRun.objects.filter(pk=aged["recent"].pk).exists()


def test_retention_values():
    assert parse_retention(None) is None
    assert parse_retention("30d") == timedelta(days=30)
    assert parse_retention(3600) == timedelta(hours=1)
    assert parse_retention(timedelta(days=2)) == timedelta(days=2)
    with pytest.raises(ValueError, match="not an age"):
        parse_retention("a month")


def test_bad_arguments(db):
    with pytest.raises(CommandError, match="not an age"):
        prune_command("--finished-before", "soon")
    with pytest.raises(CommandError, match="positive"):
        prune_command("--finished-before", "1d", "--batch-size", "0")


def test_a_bad_retention_setting_is_a_system_check_error():
    from django_ai.automation.workflows.checks import check_retention

    with override_settings(DJANGO_AI={"RETENTION": "a month"}):
        errors = check_retention()
    assert [error.id for error in errors] == ["django_ai.E070"]
    assert "not an age" in errors[0].msg
    with override_settings(DJANGO_AI={"RETENTION": "30d"}):
        assert check_retention() == []
