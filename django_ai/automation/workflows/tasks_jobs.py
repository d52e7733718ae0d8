"""The package's Django Tasks (``DJANGO_AI["BACKEND"] = "tasks"``), run by the task worker.

- ``execute_step``: run one delivered step (stale or duplicate deliveries do nothing).
- ``wake``: fire one run's timer (enqueued with ``run_after`` for timers due soon).
- ``tick``: fire due timers and recover lost deliveries, for projects that enqueue it
  themselves; ``manage.py workflows tick --every N`` is the usual periodic tick.

The Tasks framework has no redelivery: a task whose worker was killed stays claimed. The run
row still says what must happen, so the tick delivers it again after
``RECOVERY_AFTER_SECONDS`` (a step killed mid-body rolled back with its connection).
Imported only when the tasks backend is used: the tasks are bound, at import, to the backend
alias and queue of ``DJANGO_AI`` (``TASKS_BACKEND``, ``TASKS_QUEUE``).
"""

from __future__ import annotations

import time
from typing import Any

from django.db import close_old_connections, connection

from ...conf import ai_settings
from .chaining import InlineChain
from .clock import now
from .engine import engine
from .models import WorkflowRun
from .tasks_compat import require

_framework = require()
# A wake may start a few milliseconds before ``wake_at`` by this worker's clock: wait it out.
EARLY_WAKE_SLACK_SECONDS = 1.0


def _bound(func: Any) -> Any:
    settings = ai_settings()
    return _framework.task(backend=settings["TASKS_BACKEND"],
                           queue_name=settings["TASKS_QUEUE"])(func)


def _fresh_connection() -> None:
    # The worker keeps its connection between tasks; drop a broken or expired one first.
    if not connection.in_atomic_block:
        close_old_connections()


def execute_step(run_id: int, step: str, seq: int) -> bool:
    """Execute step ``step`` of run ``run_id`` if the run is still at transition ``seq``."""
    _fresh_connection()
    return bool(chaining.run(engine.execute, run_id, step, seq))


def _wake(run_id: int) -> bool:
    if engine.wake(run_id):
        return True
    wake_at = (WorkflowRun.objects.timed().filter(pk=run_id)
               .values_list("wake_at", flat=True).first())
    early = (wake_at - now()).total_seconds() if wake_at is not None else 0.0
    if 0 < early <= EARLY_WAKE_SLACK_SECONDS:  # the worker's clock ran a little ahead
        time.sleep(early)
        return engine.wake(run_id)
    return False  # fired already, or the timer moved (whoever moved it enqueued a new wake)


def wake(run_id: int) -> bool:
    """Fire run ``run_id``'s timer if it is due; the steps it hands on may run in-process."""
    _fresh_connection()
    return bool(chaining.run(_wake, run_id))


def tick() -> int:
    """Fire every due timer and deliver again runs whose delivery was lost."""
    _fresh_connection()
    return engine.tick()


execute_step = _bound(execute_step)
wake = _bound(wake)
tick = _bound(tick)


def _requeue(run_id: int, step: str, seq: int) -> None:
    from .backends.tasks import enqueue_step

    enqueue_step(run_id, step, seq)


chaining = InlineChain(_requeue)
