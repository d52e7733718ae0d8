"""System checks for delivery through Django's Tasks framework (IDs ``django_ai.E020``+ /
``W020``+). They run only when ``DJANGO_AI["BACKEND"]`` selects it."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Warning, register

from ...conf import ai_settings
from . import tasks_compat

TASKS_BACKENDS = ("tasks", "django_ai.automation.workflows.backends.tasks.TasksBackend")
DB_RECIPE = (
    'Install the database worker: pip install "django-ai-workflows[tasks]", add '
    '"django_tasks_db" (and on Django 5.2 "django_tasks") to INSTALLED_APPS, set TASKS = '
    '{"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}, migrate, and run '
    "manage.py db_worker beside manage.py workflows tick --every 5."
)


def selected() -> bool:
    try:
        return ai_settings()["BACKEND"] in TASKS_BACKENDS
    except ValueError:
        return False  # bad keys are reported by django_ai.E001


@register()
def check_tasks(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not selected():
        return []
    if tasks_compat.framework() is None:
        return [Error(
            'DJANGO_AI["BACKEND"] is "tasks" but no Tasks framework can be imported '
            "(django.tasks is in Django 6.0+; on Django 5.2 it is the django-tasks backport).",
            hint=DB_RECIPE, id="django_ai.E020")]
    alias = ai_settings()["TASKS_BACKEND"]
    try:
        task_backend = tasks_compat.backend(alias)
    except Exception as exc:  # unknown alias, or a BACKEND path that does not import
        return [Error(
            f'DJANGO_AI["TASKS_BACKEND"] is {alias!r}, but TASKS has no usable backend under '
            f"that alias: {exc}", hint=DB_RECIPE, id="django_ai.E021")]
    return [*_durability_messages(alias, task_backend), *_queue_messages(alias, task_backend)]


def _durability_messages(alias: str, task_backend: Any) -> list[CheckMessage]:
    kind = tasks_compat.not_durable(task_backend)
    if kind == "dummy":
        return [Error(
            f"The task backend {alias!r} is the dummy backend: it records tasks and never runs "
            "them, so no step would ever execute.", hint=DB_RECIPE, id="django_ai.E023")]
    if kind == "immediate":
        return [Warning(
            f"The task backend {alias!r} is the immediate backend: steps run inside the web "
            "request that enqueued them, and a crash loses them until the tick recovers them. "
            "It is not a durable queue.",
            hint=DB_RECIPE + ' (For in-process delivery, BACKEND "immediate" is the simpler '
                             "choice.)", id="django_ai.W020")]
    return []


def _queue_messages(alias: str, task_backend: Any) -> list[CheckMessage]:
    allowed = getattr(task_backend, "queues", None)
    if not allowed:  # an empty set allows any queue name
        return []
    settings = ai_settings()
    messages = []
    for key in ("TASKS_QUEUE", "TASKS_TIMER_QUEUE"):
        queue = settings[key]
        if queue and queue not in allowed:
            messages.append(Error(
                f'DJANGO_AI["{key}"] is {queue!r}, but the task backend {alias!r} only accepts '
                f"the queues {sorted(allowed)} (its QUEUES setting).",
                hint=f'Add {queue!r} to TASKS[{alias!r}]["QUEUES"], or use one of those.',
                id="django_ai.E022"))
    return messages


__all__ = ["check_tasks", "selected"]
