"""Which Tasks framework this process has: ``django.tasks`` (Django 6.0+) or the ``django-tasks``
backport (Django 5.2). Both read the ``TASKS`` setting and have the same API; the package's
``tasks`` extra installs the backport and ``django-tasks-db`` (a database worker)."""

from __future__ import annotations

import importlib
import importlib.util
from functools import cache
from types import ModuleType
from typing import Any

#: Task backends that run nothing durably: immediate runs the task inside ``enqueue`` (in the
#: web process, with no retry after a crash); dummy only records it and never runs it.
IMMEDIATE = "ImmediateBackend"
DUMMY = "DummyBackend"


@cache
def framework() -> ModuleType | None:
    """``django.tasks`` when Django ships it, else the backport, else None."""
    for name in ("django.tasks", "django_tasks"):
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:  # "django.tasks" when the parent lacks it
            found = False
        if found:
            return importlib.import_module(name)
    return None


def require() -> ModuleType:
    module = framework()
    if module is None:
        raise ImportError(
            'DJANGO_AI["BACKEND"] is "tasks" but no Tasks framework is installed: use Django '
            '6.0+ (django.tasks), or pip install "django-ai-workflows[tasks]" on Django 5.2 '
            "(the django-tasks backport and its database worker, django-tasks-db)."
        )
    return module


def backend(alias: str) -> Any:
    """The task backend configured under ``TASKS[alias]`` (raises when there is none)."""
    return require().task_backends[alias]


def invalid_backend_errors() -> tuple[type[Exception], ...]:
    module = require()
    exceptions = importlib.import_module(f"{module.__name__}.exceptions")
    names = ("InvalidTaskBackend", "InvalidTaskBackendError")
    return tuple(getattr(exceptions, name) for name in names if hasattr(exceptions, name))


def not_durable(task_backend: Any) -> str | None:
    """``"immediate"`` or ``"dummy"`` for the framework's own test backends, else None."""
    cls = type(task_backend)
    if not cls.__module__.startswith(("django.tasks.", "django_tasks.")):
        return None
    return {IMMEDIATE: "immediate", DUMMY: "dummy"}.get(cls.__name__)
