"""The one ``DJANGO_AI`` setting, merged over documented defaults.

Read through :func:`ai_settings`; the cache is dropped when tests override settings.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

DEFAULTS: dict[str, Any] = {
    # How step executions are handed off: "immediate" (in-process after commit), "celery" or
    # "tasks" (Django's Tasks framework: django.tasks, or the django-tasks backport).
    "BACKEND": "immediate",
    # Celery queue the package's step tasks are sent to (None: the app's default queue).
    "CELERY_QUEUE": None,
    # Celery queue for the wake tasks and the ready-made tick entry, so timers never wait behind
    # a step backlog; every worker consumes it as well as its -Q queues (None: CELERY_QUEUE).
    "CELERY_TIMER_QUEUE": "django_ai_timers",
    # Django Tasks: the TASKS backend alias and the queue the package's tasks are enqueued on.
    "TASKS_BACKEND": "default",
    "TASKS_QUEUE": "default",
    # Queue for the wake and tick tasks (None: TASKS_QUEUE). They also get a higher priority
    # where the task backend supports priorities, so they run before a backlog of steps.
    "TASKS_TIMER_QUEUE": None,
    # Timers due within this many seconds are also sent as countdown tasks for low latency.
    "COUNTDOWN_THRESHOLD_SECONDS": 300,
    # How many steps a worker may run back to back in-process before handing back to the queue.
    "INLINE_STEP_LIMIT": 8,
    # A RUNNING run untouched this long with no worker holding its lock is delivered again.
    "RECOVERY_AFTER_SECONDS": 60,
    # Rows claimed per batch by the periodic task and by signal fan-out.
    "TIMER_BATCH_SIZE": 500,
    # 3 statements per batch (lock, update, history): 2,000 keeps a fan-out under 1 per 500 runs.
    "SIGNAL_BATCH_SIZE": 2000,
    # Celery: steps per broker message when one commit makes many runs runnable (a signal's
    # fan-out, start_many); the worker splits the message and runs each step on its own.
    "STEP_MESSAGE_BATCH": 50,
    # A step tried this many times without finishing (its worker died, or its outcome could
    # not be saved) fails the run with the last error instead of being delivered again.
    "MAX_TRIES_WITHOUT_PROGRESS": 5,
    # Longest error text (with traceback) stored on a run or a history row.
    "MAX_ERROR_LENGTH": 8000,
    # REST API: permission classes for reading and advancing runs, and a hook limiting which
    # runs a user may see ("module.function" taking (queryset, request), returning a queryset).
    # Without a hook, staff see every run and other users only the runs they started.
    "API_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "RUN_VISIBILITY_HOOK": None,
    # Spans and metrics through OpenTelemetry when the "otel" extra is installed; False keeps
    # them off even then.
    "OPENTELEMETRY": True,
    # Delete finished runs older than this from the periodic task (a timedelta, a number of
    # seconds, or "30d"); None keeps every run. See ``manage.py workflows prune``.
    "RETENTION": None,
    # Runs deleted per transaction by retention (each takes its history rows with it).
    "RETENTION_BATCH_SIZE": 500,
    # Run list page size and the most ?page_size= may ask for (REST_FRAMEWORK's PAGE_SIZE and
    # DEFAULT_PAGINATION_CLASS win when set); the history rows a run's detail carries.
    "API_PAGE_SIZE": 50,
    "API_MAX_PAGE_SIZE": 500,
    "API_DETAIL_HISTORY": 50,
    # The OpenAPI schema needs the API's permission classes unless this is True.
    "API_SCHEMA_PUBLIC": False,
    # engine.start(..., idempotency_key=K) after the run of K finished: False returns that
    # finished run (the key is spent for good); True starts a new run under the same key.
    "IDEMPOTENCY_KEY_REUSE": False,
    # REST start endpoint (POST start/<workflow>/): off unless the workflow is listed here,
    # mapped to extra permission classes on top of API_PERMISSION_CLASSES ([] for none).
    "API_START": {},
    # Rolling deploys: a delivery of a workflow or step this process does not know is handed
    # back and tried again (another worker may know it) for this long before the run fails.
    "UNKNOWN_CODE_GRACE_SECONDS": 900,
}


@cache
def ai_settings() -> dict[str, Any]:
    """Return the effective ``DJANGO_AI`` settings (defaults overlaid by the project's)."""
    user = getattr(settings, "DJANGO_AI", {}) or {}
    unknown = set(user) - set(DEFAULTS)
    if unknown:
        raise ValueError(
            f"DJANGO_AI has unknown keys {sorted(unknown)}; valid keys are {sorted(DEFAULTS)}."
        )
    return {**DEFAULTS, **user}


@receiver(setting_changed)
def _reset_on_override(*, setting: str, **kwargs: Any) -> None:
    if setting == "DJANGO_AI":
        ai_settings.cache_clear()
