"""A ready Celery beat entry for the package's periodic task.

In a project's settings (read by ``app.config_from_object(..., namespace="CELERY")``)::

    from django_ai.automation.workflows.celery_schedule import BEAT_SCHEDULE
    CELERY_BEAT_SCHEDULE = {**BEAT_SCHEDULE}

or ``beat_schedule(interval=..., queue=...)`` for another interval or queue. The entry goes to
the timer queue (``DJANGO_AI["CELERY_TIMER_QUEUE"]``, by default ``django_ai_timers``), which
every worker consumes besides its ``-Q`` queues, so the tick never waits behind a step backlog.
This module imports nothing from Django, so settings.py may import it.
"""

from __future__ import annotations

from typing import Any

TICK_TASK = "django_ai.tick"
#: The default of DJANGO_AI["CELERY_TIMER_QUEUE"]: wake tasks and the tick entry go here.
TIMER_QUEUE = "django_ai_timers"
ENTRY_NAME = "django-ai-tick"
#: Seconds between ticks: a timer past the countdown threshold fires at most this late.
DEFAULT_INTERVAL_SECONDS = 5.0


def beat_schedule(interval: float = DEFAULT_INTERVAL_SECONDS,
                  queue: str | None = TIMER_QUEUE) -> dict[str, dict[str, Any]]:
    """Return ``{ENTRY_NAME: entry}`` running ``django_ai.tick`` every ``interval`` seconds.

    ``queue`` must be ``DJANGO_AI["CELERY_TIMER_QUEUE"]`` (or, when that is None, the queue
    your workers consume); None sends the tick to the app's default queue.
    """
    if interval <= 0:
        raise ValueError(f"beat_schedule(interval={interval!r}): must be a positive number.")
    # A tick that waited longer than one interval is redundant: the next one does its work.
    options: dict[str, Any] = {"expires": interval}
    if queue:
        options["queue"] = queue
    return {ENTRY_NAME: {"task": TICK_TASK, "schedule": interval, "options": options}}


BEAT_SCHEDULE = beat_schedule()
