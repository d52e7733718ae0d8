"""System checks for a project that selects the Django Tasks backend."""

import subprocess
import sys

import pytest

from django_ai.automation.workflows import checks_tasks, tasks_compat

FRAMEWORK = getattr(tasks_compat.framework(), "__name__", "django_tasks")
needs_framework = pytest.mark.skipif(tasks_compat.framework() is None,
                                     reason="no Tasks framework (Django 6+, or the tasks extra)")


def ids(messages):
    return sorted(message.id for message in messages)


def backend_path(name):
    return f"{FRAMEWORK}.backends.{name.lower()}.{name}Backend"


@pytest.fixture
def tasks_project(settings):
    settings.DJANGO_AI = {"BACKEND": "tasks"}
    return settings


def test_other_backends_check_nothing(settings):
    settings.DJANGO_AI = {"BACKEND": "immediate"}
    assert checks_tasks.check_tasks() == []


def test_no_framework(tasks_project, monkeypatch):
    monkeypatch.setattr(tasks_compat, "framework", lambda: None)
    [message] = checks_tasks.check_tasks()
    assert message.id == "django_ai.E020"
    assert "django-ai-workflows[tasks]" in message.hint


@needs_framework
def test_unknown_alias(tasks_project):
    tasks_project.DJANGO_AI = {"BACKEND": "tasks", "TASKS_BACKEND": "workflows"}
    [message] = checks_tasks.check_tasks()
    assert message.id == "django_ai.E021" and "'workflows'" in message.msg


@needs_framework
def test_dummy_backend_is_an_error_immediate_a_warning(tasks_project):
    tasks_project.TASKS = {"default": {"BACKEND": backend_path("Dummy")}}
    [message] = checks_tasks.check_tasks()
    assert message.id == "django_ai.E023" and "never runs" in message.msg
    tasks_project.TASKS = {"default": {"BACKEND": backend_path("Immediate")}}
    [message] = checks_tasks.check_tasks()
    assert message.id == "django_ai.W020" and "not a durable queue" in message.msg


@needs_framework
def test_queue_the_backend_does_not_accept(tasks_project):
    tasks_project.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend",
                                       "QUEUES": ["default"]}}
    tasks_project.DJANGO_AI = {"BACKEND": "tasks", "TASKS_TIMER_QUEUE": "timers"}
    pytest.importorskip("django_tasks_db")
    [message] = checks_tasks.check_tasks()
    assert message.id == "django_ai.E022" and "TASKS_TIMER_QUEUE" in message.msg
    tasks_project.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend",
                                       "QUEUES": ["default", "timers"]}}
    assert checks_tasks.check_tasks() == []


@needs_framework
def test_database_backend_passes(tasks_project):
    pytest.importorskip("django_tasks_db")
    tasks_project.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert checks_tasks.check_tasks() == []


@needs_framework
def test_celery_is_not_imported_when_the_backend_is_tasks():
    code = (
        "import sys, django\n"
        "from django.conf import settings\n"
        "import tests.settings as base\n"
        "conf = {k: getattr(base, k) for k in dir(base) if k.isupper()}\n"
        "conf['DJANGO_AI'] = {'BACKEND': 'tasks'}\n"
        "settings.configure(**conf)\n"
        "django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('check')\n"
        "from django_ai.automation.workflows.backends import get_backend\n"
        "from django_ai.automation.workflows import tasks_jobs\n"
        "get_backend()\n"
        "assert 'celery' not in sys.modules, 'celery was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode == 0, done.stderr
