"""System checks for running workflows on Celery (IDs ``django_ai.E010``+ / ``W010``+).

They run only when ``DJANGO_AI["BACKEND"]`` selects Celery, and inspect the project's Celery app
the way a worker would see it (the app the project's ``celery.py`` creates and sets as current).
"""

from __future__ import annotations

import importlib.util
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from ...conf import ai_settings
from .celery_schedule import TICK_TASK

CELERY_BACKENDS = ("celery", "django_ai.automation.workflows.backends.celery.CeleryBackend")
DEFAULT_SCHEDULERS = ("celery.beat:PersistentScheduler", "celery.beat.PersistentScheduler")
APP_RECIPE = (
    "Create one in your project's celery.py: app = Celery('proj'); "
    "app.config_from_object('django.conf:settings', namespace='CELERY'); "
    "app.autodiscover_tasks(); and import it in the project package's __init__.py."
)


def celery_installed() -> bool:
    return importlib.util.find_spec("celery") is not None


def find_celery_app() -> Any:
    """The project's Celery app, or None when only Celery's implicit fallback app exists."""
    from celery import _state

    for app in (getattr(_state._tls, "current_app", None), _state.default_app):
        # Celery invents an app named "default" without fixups when nobody created one.
        if app is not None and not (app.main == "default" and not app.fixups):
            return app
    return None


def selected() -> bool:
    try:
        return ai_settings()["BACKEND"] in CELERY_BACKENDS
    except ValueError:
        return False  # bad keys are reported by django_ai.E001


@register()
def check_celery(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not selected():
        return []
    if not celery_installed():
        return [Error(
            'DJANGO_AI["BACKEND"] is "celery" but the celery package cannot be imported.',
            hint='Install it: pip install "django-ai-workflows[celery]" (or set BACKEND to '
                 '"immediate" to run steps in-process).',
            id="django_ai.E010",
        )]
    app = find_celery_app()
    if app is None:
        return [Error('DJANGO_AI["BACKEND"] is "celery" but no Celery app is configured, so '
                      "steps would be sent nowhere.", hint=APP_RECIPE, id="django_ai.E011")]
    return [*_schedule_messages(app), *_queue_messages(app), *_tuning_messages(app)]


def _tick_entries(app: Any) -> list[dict[str, Any]]:
    schedule = app.conf.beat_schedule or {}
    return [entry for entry in schedule.values() if entry.get("task") == TICK_TASK]


def _schedule_messages(app: Any) -> list[CheckMessage]:
    if _tick_entries(app):
        return []
    hint = (
        "Add the ready entry in settings: from django_ai.automation.workflows.celery_schedule "
        "import BEAT_SCHEDULE; CELERY_BEAT_SCHEDULE = {**BEAT_SCHEDULE} (or merge it into "
        "app.conf.beat_schedule), and run celery beat."
    )
    message = (f"The periodic task {TICK_TASK!r} is not in the Celery beat schedule: sleeps, "
               "retry backoffs, timeouts and lost deliveries would never be handled.")
    if str(app.conf.beat_scheduler) in DEFAULT_SCHEDULERS:
        return [Error(message, hint=hint, id="django_ai.E012")]
    # Another scheduler (e.g. django-celery-beat) keeps its schedule elsewhere; we cannot see it.
    return [Warning(message + f" (It may be scheduled by {app.conf.beat_scheduler}.)",
                    hint=hint + " Silence django_ai.W010 if it is.", id="django_ai.W010")]


def _queue_messages(app: Any) -> list[CheckMessage]:
    """The tick entry must go to the timer queue, which every worker consumes (celery_worker)."""
    step_queue = ai_settings()["CELERY_QUEUE"] or app.conf.task_default_queue
    timer_queue = ai_settings()["CELERY_TIMER_QUEUE"]
    expected = timer_queue or step_queue
    messages = []
    for entry in _tick_entries(app):
        sent_to = (entry.get("options") or {}).get("queue") or app.conf.task_default_queue
        if sent_to == expected:
            continue
        if sent_to == step_queue:
            problem = ("shares the step queue: under a backlog of steps the tick waits (and "
                       "expires) behind them, so timers fire late and lost deliveries stay lost.")
        else:
            problem = f"no worker is known to consume {sent_to!r}, so it may never run."
        messages.append(Warning(
            f"The {TICK_TASK!r} beat entry goes to queue {sent_to!r}: it {problem}",
            hint=f"Use BEAT_SCHEDULE or beat_schedule(queue={expected!r}) from "
                 "django_ai.automation.workflows.celery_schedule.",
            id="django_ai.W011",
        ))
    return [*messages, *_timer_consumer_messages(app, timer_queue)]


def _timer_consumer_messages(app: Any, timer_queue: str | None) -> list[CheckMessage]:
    """Workers add the timer queue at start-up; they cannot when the queue list is closed."""
    declared = app.conf.task_queues
    if not timer_queue or declared is None or app.conf.task_create_missing_queues:
        return []
    names = {getattr(queue, "name", queue) for queue in declared}
    if timer_queue in names:
        return []
    return [Warning(
        f'DJANGO_AI["CELERY_TIMER_QUEUE"] is {timer_queue!r}, but task_queues does not declare '
        "it and task_create_missing_queues is off: no worker consumes it, so wake tasks and "
        "the tick would never run.",
        hint=f"Add Queue({timer_queue!r}) to task_queues, or set CELERY_TIMER_QUEUE to None "
             "to send them to the step queue.",
        id="django_ai.W014",
    )]


def _tuning_messages(app: Any) -> list[CheckMessage]:
    messages = []
    db = settings.DATABASES.get("default", {})
    pooled = bool((db.get("OPTIONS") or {}).get("pool"))  # closing returns it to the pool
    if not pooled and (not app.conf.get("CELERY_DB_REUSE_MAX") or db.get("CONN_MAX_AGE", 0) == 0):
        messages.append(Warning(
            "Celery workers will open a new database connection for every task, which costs "
            "more than a workflow step itself.",
            hint="Set CELERY_DB_REUSE_MAX = 1000 (Celery setting) and a CONN_MAX_AGE of e.g. "
                 "600 with CONN_HEALTH_CHECKS = True in DATABASES for the worker (or use "
                 "Django's connection pool, OPTIONS {'pool': True}).",
            id="django_ai.W012",
        ))
    visibility = (app.conf.broker_transport_options or {}).get("visibility_timeout", 3600)
    threshold = float(ai_settings()["COUNTDOWN_THRESHOLD_SECONDS"])
    if str(app.conf.broker_url or "").startswith(("redis", "sqs")) and threshold >= visibility:
        messages.append(Warning(
            f'DJANGO_AI["COUNTDOWN_THRESHOLD_SECONDS"] ({threshold:g}) is not below the '
            f"broker's visibility_timeout ({visibility}): countdown tasks would be redelivered "
            "before they are due.",
            hint="Lower COUNTDOWN_THRESHOLD_SECONDS (the periodic task handles longer timers) "
                 "or raise broker_transport_options['visibility_timeout'].",
            id="django_ai.W013",
        ))
    return messages


__all__ = ["check_celery", "find_celery_app", "selected"]
