"""The Celery backend and tasks without services: publishing is mocked or run eagerly."""

from datetime import timedelta
from unittest import mock

import pytest

pytest.importorskip("celery", reason="the celery extra is not installed")
from django.utils import timezone

from django_ai.automation.workflows import tasks
from django_ai.automation.workflows.backends import get_backend
from django_ai.automation.workflows.backends.celery import CeleryBackend
from django_ai.automation.workflows.celery_schedule import BEAT_SCHEDULE, beat_schedule
from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import StepExecution, WorkflowStatus
from tests.celery_app import app

CELERY = {"BACKEND": "celery", "CELERY_QUEUE": "wf"}


@pytest.fixture
def celery_settings(settings):
    settings.DJANGO_AI = dict(CELERY)
    return settings


@pytest.fixture
def eager(celery_settings):
    app.conf.update(task_always_eager=True, task_eager_propagates=True)
    yield celery_settings
    app.conf.update(task_always_eager=False, task_eager_propagates=False)


def test_backend_setting_selects_celery(celery_settings):
    assert isinstance(get_backend(), CeleryBackend)
    assert get_backend().runs_inline is False


def test_deliver_publishes_step_task_to_queue(celery_settings):
    with mock.patch.object(tasks.execute_step, "apply_async") as send:
        CeleryBackend().deliver(7, "ship", 3)
    send.assert_called_once_with((7, "ship", 3), queue="wf")


def test_short_timer_goes_as_countdown_long_one_stays_in_database(celery_settings):
    soon = timezone.now() + timedelta(seconds=30)
    later = timezone.now() + timedelta(hours=24)
    with mock.patch.object(tasks.wake_run, "apply_async") as send:
        CeleryBackend().schedule_wake(5, soon)
        CeleryBackend().schedule_wake(6, later)
    assert send.call_count == 1
    args, options = send.call_args
    assert args == ((5,),)
    assert 29 < options["countdown"] <= 30
    assert options["queue"] == "django_ai_timers"  # never behind a backlog of steps


def test_timer_queue_off_sends_wakes_to_the_step_queue(celery_settings):
    celery_settings.DJANGO_AI = {**CELERY, "CELERY_TIMER_QUEUE": None}
    with mock.patch.object(tasks.wake_run, "apply_async") as send:
        CeleryBackend().schedule_wake(5, timezone.now())
    assert send.call_args.kwargs["queue"] == "wf"


def test_past_timer_countdown_is_zero(celery_settings):
    with mock.patch.object(tasks.wake_run, "apply_async") as send:
        CeleryBackend().schedule_wake(5, timezone.now() - timedelta(seconds=5))
    assert send.call_args.kwargs["countdown"] == 0.0


def test_broker_failure_is_logged_not_raised(celery_settings, caplog):
    refused = mock.patch.object(tasks.execute_step, "apply_async", side_effect=OSError("down"))
    with refused, caplog.at_level("WARNING", logger="django_ai.workflows"):
        CeleryBackend().deliver(1, "a", 1)
    assert "periodic task will recover it" in caplog.text


def test_tasks_are_named_and_acknowledged_late():
    for task, name in [(tasks.execute_step, "django_ai.execute_step"),
                       (tasks.wake_run, "django_ai.wake"), (tasks.tick, "django_ai.tick")]:
        assert task.name == name
        assert task.acks_late is True
        assert task.reject_on_worker_lost is True
        assert name in app.tasks


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("limit", [1, 8])
def test_eager_run_completes_with_history(eager, limit):
    eager.DJANGO_AI = {**CELERY, "INLINE_STEP_LIMIT": limit}
    run = engine.start("sample_order_fulfillment", order_id=1)
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED
    assert run.data["shipped"] is True
    names = list(StepExecution.objects.filter(run=run).order_by("id")
                 .values_list("step_name", flat=True))
    assert names == ["confirm_payment", "reserve_inventory", "ship_order"]


@pytest.mark.django_db(transaction=True)
def test_tick_task_fires_due_timer(eager):
    with mock.patch.object(tasks.engine, "tick", return_value=3) as tick:
        assert tasks.tick.apply().get() == 3
    tick.assert_called_once_with()


def test_chain_keeps_first_delivery_and_publishes_the_rest(celery_settings):
    executed = []
    chain = tasks.InlineChain()

    def step(run_id, name, seq):
        executed.append((run_id, name, seq))
        if run_id == 1 and seq < 3:
            assert chain.offer(1, "next", seq + 1)
            assert not chain.offer(2, "fan_out", 1)  # only one held; others go to the broker
        return True

    with mock.patch.object(tasks.engine, "execute", side_effect=step), \
            mock.patch.object(tasks, "publish_step") as publish:
        chain.run(step, 1, "first", 1)
    assert executed == [(1, "first", 1), (1, "next", 2), (1, "next", 3)]
    publish.assert_not_called()
    assert not chain.active and chain.pending is None


def test_chain_hands_leftover_to_broker_at_limit(celery_settings):
    celery_settings.DJANGO_AI = {**CELERY, "INLINE_STEP_LIMIT": 2}
    chain = tasks.InlineChain()

    def step(run_id, name, seq):
        chain.offer(run_id, name, seq + 1)

    with mock.patch.object(tasks.engine, "execute", side_effect=step), \
            mock.patch.object(tasks, "publish_step") as publish:
        chain.run(step, 1, "s", 1)
    publish.assert_called_once_with(1, "s", 3)


def test_chain_failure_of_held_step_requeues_it(celery_settings):
    chain = tasks.InlineChain()

    def first(run_id, name, seq):
        chain.offer(9, "held", 2)

    with mock.patch.object(tasks.engine, "execute", side_effect=RuntimeError("db gone")), \
            mock.patch.object(tasks, "publish_step") as publish:
        chain.run(first, 9, "first", 1)
    publish.assert_called_once_with(9, "held", 2)


def test_chain_off_when_limit_is_one(celery_settings):
    celery_settings.DJANGO_AI = {**CELERY, "INLINE_STEP_LIMIT": 1}
    chain = tasks.InlineChain()
    chain.run(lambda: None)
    assert chain.offer(1, "a", 1) is False


def test_beat_schedule_entry():
    entry = BEAT_SCHEDULE["django-ai-tick"]
    assert entry["task"] == "django_ai.tick"
    assert entry["schedule"] == 5.0
    assert entry["options"]["queue"] == "django_ai_timers"
    assert beat_schedule(2, queue="wf")["django-ai-tick"]["options"] == {"expires": 2,
                                                                          "queue": "wf"}
    with pytest.raises(ValueError, match="interval"):
        beat_schedule(0)


def test_wake_arriving_early_waits_out_the_gap(celery_settings):
    due = timezone.now() + timedelta(milliseconds=50)
    with mock.patch.object(tasks.engine, "wake", side_effect=[False, True]) as wake, \
            mock.patch.object(tasks, "_wake_at", return_value=due):
        assert tasks._wake(4) is True
    assert wake.call_count == 2
    assert timezone.now() >= due


def test_wake_for_moved_or_fired_timer_does_nothing(celery_settings):
    later = timezone.now() + timedelta(minutes=5)
    for wake_at in (None, later):
        with mock.patch.object(tasks.engine, "wake", return_value=False) as wake, \
                mock.patch.object(tasks, "_wake_at", return_value=wake_at):
            assert tasks._wake(4) is False
        wake.assert_called_once_with(4)


class Rollback(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_publishes_only_after_the_callers_commit(celery_settings):
    from django.db import transaction

    with mock.patch.object(tasks.execute_step, "apply_async") as send:
        with pytest.raises(Rollback), transaction.atomic():
            engine.start("sample_order_fulfillment", order_id=1)
            raise Rollback
        send.assert_not_called()
        with transaction.atomic():
            run = engine.start("sample_order_fulfillment", order_id=2)
            send.assert_not_called()
        send.assert_called_once_with((run.pk, "confirm_payment", run.seq), queue="wf")


def test_redelivered_stale_message_resumes_the_current_step(celery_settings):
    with mock.patch.object(tasks.engine, "execute", return_value=False), \
            mock.patch.object(tasks.tries, "note_lost") as note_lost, \
            mock.patch.object(tasks, "resume_current", return_value=True) as resume:
        assert tasks._execute(3, "old", 1, redelivered=False) is False
        resume.assert_not_called()
        note_lost.assert_not_called()
        assert tasks._execute(3, "old", 1, redelivered=True) is True
        resume.assert_called_once_with(3)
        note_lost.assert_called_once_with(3)


@pytest.mark.django_db
def test_resume_current_runs_only_a_running_run(celery_settings):
    from django_ai.automation.workflows.models import WorkflowRun

    name = "sample_order_fulfillment"
    running = WorkflowRun.objects.create(name=name, status=WorkflowStatus.RUNNING,
                                         current_step="ship_order", seq=5, data={"order_id": 1})
    waiting = WorkflowRun.objects.create(name=name, status=WorkflowStatus.WAITING,
                                         current_step="ship_order", seq=2, data={"order_id": 2})
    with mock.patch.object(tasks.engine, "execute", return_value=True) as execute:
        assert tasks.resume_current(running.pk) is True
        assert tasks.resume_current(waiting.pk) is False
    execute.assert_called_once_with(running.pk, "ship_order", 5)


def test_a_projects_app_finds_the_tasks_by_autodiscovery():
    """In a fresh process nothing has imported the tasks module: autodiscovery must find it."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import django; django.setup()\n"
        "from celery import Celery\n"
        "app = Celery('proj')\n"
        "app.config_from_object('django.conf:settings', namespace='CELERY')\n"
        "app.autodiscover_tasks(force=True)\n"
        "print(sorted(n for n in app.tasks if n.startswith('django_ai.')))\n"
    )
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    result = subprocess.run([sys.executable, "-c", script], cwd=root, env=env,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "['django_ai.execute_step', 'django_ai.tick', 'django_ai.wake']" in result.stdout
