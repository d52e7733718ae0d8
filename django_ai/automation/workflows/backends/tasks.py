"""Delivery through Django's Tasks framework (``django.tasks``, or the ``django-tasks`` backport).

Each step is a task enqueued on ``DJANGO_AI["TASKS_BACKEND"]`` / ``["TASKS_QUEUE"]`` after the
deciding commit; with ``django-tasks-db`` the queue is a table in the project's own database
and ``manage.py db_worker`` runs it, so production needs no broker. As with Celery, enqueueing
can fail (database gone): that is logged, not raised, and the periodic tick recovers the run.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from ....conf import ai_settings
from ..clock import now
from ..tasks_compat import require
from .base import Backend

logger = logging.getLogger("django_ai.workflows")

#: Wake and tick tasks outrank steps on backends with priorities (range -100..100), so a
#: backlog of steps never delays a due timer.
TIMER_PRIORITY = 50


def _enqueue(task: Any, args: tuple[Any, ...], *, timer: bool = False,
             run_after: datetime | None = None) -> None:
    settings = ai_settings()
    queue = (settings["TASKS_TIMER_QUEUE"] if timer else None) or settings["TASKS_QUEUE"]
    options: dict[str, Any] = {"backend": settings["TASKS_BACKEND"], "queue_name": queue,
                               "run_after": run_after}
    try:
        if timer and require().task_backends[settings["TASKS_BACKEND"]].supports_priority:
            options["priority"] = TIMER_PRIORITY
        task.using(**options).enqueue(*args)
    except Exception:
        logger.warning("Could not enqueue %s%r; the periodic tick will recover it.",
                       task.name, args, exc_info=True)


def enqueue_step(run_id: int, step: str, seq: int) -> None:
    from .. import tasks_jobs

    _enqueue(tasks_jobs.execute_step, (run_id, step, seq))


class TasksBackend(Backend):
    """Enqueues step deliveries and soon-due timers as Django Tasks."""

    runs_inline = False

    def __init__(self) -> None:
        require()  # a clear ImportError when no Tasks framework is installed

    def deliver(self, run_id: int, step: str, seq: int) -> None:
        from .. import tasks_jobs

        # Inside a task, the worker may keep the next step for itself (INLINE_STEP_LIMIT).
        if tasks_jobs.chaining.offer(run_id, step, seq):
            return
        enqueue_step(run_id, step, seq)

    def schedule_wake(self, run_id: int, at: datetime) -> None:
        """Enqueue a deferred wake for timers due soon, on backends that can defer; the tick
        handles the rest, so a long sleep never depends on a queued task."""
        from .. import tasks_jobs

        delay = (at - now()).total_seconds()
        if delay > float(ai_settings()["COUNTDOWN_THRESHOLD_SECONDS"]):
            return
        if delay <= 0:
            _enqueue(tasks_jobs.wake, (run_id,), timer=True)
        elif _supports_defer():
            _enqueue(tasks_jobs.wake, (run_id,), timer=True, run_after=at)


def _supports_defer() -> bool:
    try:
        return bool(require().task_backends[ai_settings()["TASKS_BACKEND"]].supports_defer)
    except Exception:  # reported by the system checks (django_ai.E021)
        return False
