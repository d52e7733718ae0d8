"""Makes every Celery worker consume the timer queue besides the queues its ``-Q`` names.

Wake tasks and the tick go to ``DJANGO_AI["CELERY_TIMER_QUEUE"]`` so a step backlog cannot
delay them (a tick that waited behind a minute of steps expired, and timers fired late). A
worker that consumed only the step queue would never see them, so the queue is added to each
worker at start-up (Celery's ``celeryd_after_setup`` signal, which runs after ``-Q`` is applied).
A worker started with ``-Q django_ai_timers`` alone is a dedicated timer worker.
"""

from __future__ import annotations

from typing import Any

from celery.signals import celeryd_after_setup

from ...conf import ai_settings


def add_timer_queue(sender: Any = None, instance: Any = None, **kwargs: Any) -> None:
    queue = ai_settings()["CELERY_TIMER_QUEUE"]
    if not queue or instance is None:
        return
    queues = instance.app.amqp.queues
    if queue not in queues.consume_from:
        queues.select_add(queue)


def connect() -> None:
    celeryd_after_setup.connect(add_timer_queue, weak=False, dispatch_uid="django_ai_timer_queue")
