"""System checks for a project that selects the Celery backend."""

import pytest

pytest.importorskip("celery", reason="the celery extra is not installed")
from celery import Celery

from django_ai.automation.workflows import checks_celery
from django_ai.automation.workflows.celery_schedule import BEAT_SCHEDULE, beat_schedule


def ids(messages):
    return sorted(message.id for message in messages)


def make_app(**conf):
    app = Celery("proj", set_as_current=False)
    app.conf.update(broker_url="redis://127.0.0.1:6379/9", CELERY_DB_REUSE_MAX=1000,
                    beat_schedule=dict(BEAT_SCHEDULE))
    app.conf.update(**conf)
    return app


@pytest.fixture
def celery_project(settings, monkeypatch):
    settings.DJANGO_AI = {"BACKEND": "celery"}
    monkeypatch.setitem(settings.DATABASES["default"], "CONN_MAX_AGE", 600)
    app = make_app()
    monkeypatch.setattr(checks_celery, "find_celery_app", lambda: app)
    return app


def test_immediate_backend_checks_nothing(settings):
    settings.DJANGO_AI = {"BACKEND": "immediate"}
    assert checks_celery.check_celery() == []


def test_well_configured_project_passes(celery_project):
    assert checks_celery.check_celery() == []


def test_celery_not_installed(celery_project, monkeypatch):
    monkeypatch.setattr(checks_celery, "celery_installed", lambda: False)
    [message] = checks_celery.check_celery()
    assert message.id == "django_ai.E010"
    assert "pip install" in message.hint


def test_no_celery_app(celery_project, monkeypatch):
    monkeypatch.setattr(checks_celery, "find_celery_app", lambda: None)
    [message] = checks_celery.check_celery()
    assert message.id == "django_ai.E011"
    assert "autodiscover_tasks" in message.hint


def test_tick_missing_from_beat_schedule(celery_project):
    celery_project.conf.beat_schedule = {}
    [message] = checks_celery.check_celery()
    assert message.id == "django_ai.E012"
    assert "BEAT_SCHEDULE" in message.hint


def test_other_scheduler_only_warns(celery_project):
    celery_project.conf.update(beat_schedule={},
                               beat_scheduler="django_celery_beat.schedulers:DatabaseScheduler")
    assert ids(checks_celery.check_celery()) == ["django_ai.W010"]


def test_tick_sharing_the_step_queue_warns(celery_project, settings):
    settings.DJANGO_AI = {"BACKEND": "celery", "CELERY_QUEUE": "workflows"}
    assert checks_celery.check_celery() == []  # the ready entry goes to the timer queue
    celery_project.conf.beat_schedule = beat_schedule(queue="workflows")
    [message] = checks_celery.check_celery()
    assert message.id == "django_ai.W011"
    assert "backlog" in message.msg and "django_ai_timers" in message.hint


def test_tick_on_a_queue_nobody_consumes(celery_project, settings):
    settings.DJANGO_AI = {"BACKEND": "celery", "CELERY_QUEUE": "workflows",
                          "CELERY_TIMER_QUEUE": None}
    [message] = checks_celery.check_celery()
    assert message.id == "django_ai.W011"
    assert "'django_ai_timers'" in message.msg and "may never run" in message.msg
    celery_project.conf.beat_schedule = beat_schedule(queue="workflows")
    assert checks_celery.check_celery() == []


def test_timer_queue_missing_from_a_closed_queue_list(celery_project):
    from kombu import Queue

    celery_project.conf.update(task_queues=[Queue("celery")], task_create_missing_queues=False)
    [message] = checks_celery.check_celery()
    assert message.id == "django_ai.W014"
    celery_project.conf.task_queues = [Queue("celery"), Queue("django_ai_timers")]
    assert checks_celery.check_celery() == []


def test_every_worker_consumes_the_timer_queue(settings):
    from types import SimpleNamespace

    from django_ai.automation.workflows import celery_worker

    settings.DJANGO_AI = {"BACKEND": "celery", "CELERY_QUEUE": "steps"}
    app = make_app()
    app.amqp.queues.select(["steps"])  # what -Q steps does
    celery_worker.add_timer_queue(instance=SimpleNamespace(app=app))
    assert set(app.amqp.queues.consume_from) == {"steps", "django_ai_timers"}
    settings.DJANGO_AI = {"BACKEND": "celery", "CELERY_TIMER_QUEUE": None}
    app = make_app()
    app.amqp.queues.select(["steps"])
    celery_worker.add_timer_queue(instance=SimpleNamespace(app=app))
    assert set(app.amqp.queues.consume_from) == {"steps"}


def test_connection_closed_per_task(celery_project, settings, monkeypatch):
    monkeypatch.setitem(settings.DATABASES["default"], "CONN_MAX_AGE", 0)
    assert ids(checks_celery.check_celery()) == ["django_ai.W012"]


def test_connection_pool_needs_no_reuse_settings(celery_project, settings, monkeypatch):
    monkeypatch.setitem(settings.DATABASES["default"], "CONN_MAX_AGE", 0)
    monkeypatch.setitem(settings.DATABASES["default"], "OPTIONS", {"pool": True})
    celery_project.conf.CELERY_DB_REUSE_MAX = None
    assert checks_celery.check_celery() == []


def test_countdown_beyond_visibility_timeout(celery_project):
    celery_project.conf.broker_transport_options = {"visibility_timeout": 120}
    assert ids(checks_celery.check_celery()) == ["django_ai.W013"]


def test_finds_the_current_app():
    app = Celery("proj_current", set_as_current=True)
    try:
        assert checks_celery.find_celery_app() is app
    finally:
        from tests.celery_app import app as tests_app

        tests_app.set_current()


def test_registered_with_django(settings):
    from django.core.checks import run_checks

    settings.DJANGO_AI = {"BACKEND": "celery"}
    assert "django_ai.E012" in ids(run_checks())  # the test project's app has no schedule
