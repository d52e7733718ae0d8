"""The Django Tasks backend without a worker process: the framework's dummy backend records
what is enqueued (the test then runs it as a worker would), its immediate backend runs it."""

from datetime import timedelta
from unittest import mock

import pytest

from django_ai.automation.workflows import tasks_compat

if tasks_compat.framework() is None:
    pytest.skip("no Tasks framework (Django 6+, or the tasks extra)", allow_module_level=True)

from django.db import transaction
from django.utils import timezone

from django_ai.automation.workflows import tasks_jobs
from django_ai.automation.workflows.backends import get_backend
from django_ai.automation.workflows.backends.tasks import TIMER_PRIORITY, TasksBackend
from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import StepExecution, WorkflowRun, WorkflowStatus

FRAMEWORK = tasks_compat.framework().__name__  # "django.tasks" or "django_tasks"
DUMMY = f"{FRAMEWORK}.backends.dummy.DummyBackend"
IMMEDIATE = f"{FRAMEWORK}.backends.immediate.ImmediateBackend"
TASKS = {"BACKEND": "tasks", "TASKS_BACKEND": "wf", "TASKS_QUEUE": "steps"}


@pytest.fixture
def dummy(settings):
    settings.TASKS = {"default": {"BACKEND": IMMEDIATE},
                      "wf": {"BACKEND": DUMMY, "QUEUES": ["steps", "timers"]}}
    settings.DJANGO_AI = dict(TASKS)
    queue = tasks_compat.backend("wf")
    queue.clear()
    return queue


def run_worker(queue, limit=100):
    """Run what was enqueued, oldest first, as the database worker would; return the count."""
    done = 0
    while queue.results and done < limit:
        result = queue.results.pop(0)
        result.task.call(*result.args, **result.kwargs)
        done += 1
    return done


def test_backend_setting_selects_tasks(dummy):
    assert isinstance(get_backend(), TasksBackend)
    assert get_backend().runs_inline is False


@pytest.mark.django_db(transaction=True)
def test_enqueues_only_after_the_deciding_commit(dummy):
    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        engine.start("sample_order_fulfillment", order_id=1)
        raise Rollback
    assert dummy.results == []
    with transaction.atomic():
        run = engine.start("sample_order_fulfillment", order_id=2)
        assert dummy.results == []
    [result] = dummy.results
    assert result.args == [run.pk, "confirm_payment", run.seq]
    assert result.task.queue_name == "steps" and result.task.backend == "wf"
    assert result.task.func is tasks_jobs.execute_step.func


@pytest.mark.django_db(transaction=True)
def test_worker_runs_the_run_to_completion_chaining_steps_in_process(dummy):
    run = engine.start("sample_order_fulfillment", order_id=3)
    assert run_worker(dummy) == 1  # three steps, one task: the worker kept the next ones
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED
    assert list(StepExecution.objects.filter(run=run).values_list("step_name", flat=True)
                .order_by("id")) == ["confirm_payment", "reserve_inventory", "ship_order"]


@pytest.mark.django_db(transaction=True)
def test_inline_step_limit_hands_the_rest_back_to_the_queue(dummy, settings):
    settings.DJANGO_AI = {**TASKS, "INLINE_STEP_LIMIT": 1}
    run = engine.start("sample_order_fulfillment", order_id=4)
    assert run_worker(dummy) == 3
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED


@pytest.mark.django_db(transaction=True)
def test_stale_and_duplicate_deliveries_do_nothing(dummy):
    run = engine.start("sample_order_fulfillment", order_id=5)
    [first] = dummy.results
    run_worker(dummy)
    assert tasks_jobs.execute_step.call(*first.args) is False
    assert StepExecution.objects.filter(run=run).count() == 3


def test_short_timer_is_a_deferred_high_priority_wake_on_the_timer_queue(dummy, settings):
    settings.DJANGO_AI = {**TASKS, "TASKS_TIMER_QUEUE": "timers"}
    soon = timezone.now() + timedelta(seconds=30)
    TasksBackend().schedule_wake(5, soon)
    TasksBackend().schedule_wake(6, timezone.now() + timedelta(hours=24))  # left to the tick
    TasksBackend().schedule_wake(7, timezone.now() - timedelta(seconds=1))
    deferred, due = dummy.results
    assert deferred.args == [5] and deferred.task.run_after == soon
    assert due.args == [7] and due.task.run_after is None
    for result in (deferred, due):
        assert result.task.func is tasks_jobs.wake.func
        assert result.task.queue_name == "timers"
        assert result.task.priority == TIMER_PRIORITY


def test_backend_without_defer_leaves_future_timers_to_the_tick(dummy):
    with mock.patch.object(type(dummy), "supports_defer", False):
        TasksBackend().schedule_wake(5, timezone.now() + timedelta(seconds=30))
    assert dummy.results == []


def test_enqueue_failure_is_logged_not_raised(dummy, caplog):
    with mock.patch.object(type(dummy), "enqueue", side_effect=RuntimeError("db gone")):
        TasksBackend().deliver(1, "a", 1)
    assert "periodic tick will recover it" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_sleep_fires_through_the_wake_task(dummy):
    run = engine.start("sample_reminders")
    run_worker(dummy)
    run.refresh_from_db()
    assert run.status == WorkflowStatus.WAITING
    WorkflowRun.objects.filter(pk=run.pk).update(wake_at=timezone.now())
    TasksBackend().schedule_wake(run.pk, timezone.now())
    run_worker(dummy)
    run.refresh_from_db()
    assert run.data["reminders_sent"] == 2 and run.status == WorkflowStatus.WAITING


@pytest.mark.django_db(transaction=True)
def test_tick_task_recovers_and_fires(dummy):
    with mock.patch.object(tasks_jobs.engine, "tick", return_value=3) as tick:
        assert tasks_jobs.tick.call() == 3
    tick.assert_called_once_with()


def test_wake_arriving_early_waits_out_the_gap(dummy):
    due = timezone.now() + timedelta(milliseconds=50)
    with mock.patch.object(tasks_jobs.engine, "wake", side_effect=[False, True]) as wake, \
            mock.patch.object(WorkflowRun.objects, "timed") as timed:
        timed.return_value.filter.return_value.values_list.return_value.first.return_value = due
        assert tasks_jobs._wake(4) is True
    assert wake.call_count == 2 and timezone.now() >= due


@pytest.mark.django_db(transaction=True)
def test_immediate_task_backend_runs_steps_inside_enqueue(settings):
    settings.TASKS = {"default": {"BACKEND": IMMEDIATE}}
    settings.DJANGO_AI = {"BACKEND": "tasks"}
    run = engine.start("sample_order_fulfillment", order_id=6)
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED
