"""The package's Celery tasks, found by a project's ``app.autodiscover_tasks()``.

- ``django_ai.execute_step``: run one delivered step (stale or duplicate deliveries do nothing).
- ``django_ai.wake``: fire one run's timer (sent as a countdown task for short delays).
- ``django_ai.tick``: the periodic task; fires due timers and recovers lost deliveries.

All are acknowledged late and rejected (so redelivered) when their worker process dies: a step
killed mid-body has rolled back with its connection, so running it again is safe.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import shared_task
from django.db import DatabaseError, close_old_connections, connection

from . import chaining as _chaining
from .backends.celery import publish
from .clock import now
from .engine import engine, tries
from .models import WorkflowRun, WorkflowStatus

logger = logging.getLogger("django_ai.workflows")

TASK_OPTIONS: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
}
# A timer may fire a few milliseconds before ``wake_at`` by the worker's clock; a wake task
# that arrives this early waits out the gap instead of leaving the timer to the periodic task.
EARLY_WAKE_SLACK_SECONDS = 1.0


def _requeue(run_id: int, step: str, seq: int) -> None:
    publish_step(run_id, step, seq)


class InlineChain(_chaining.InlineChain):
    """The worker's in-process chain (see ``chaining``); leftovers go back to the broker."""

    def __init__(self) -> None:
        super().__init__(_requeue)


chaining = InlineChain()


def publish_step(run_id: int, step: str, seq: int) -> None:
    publish(execute_step, (run_id, step, seq))


def _fresh_connection() -> None:
    # Honours CONN_MAX_AGE / CONN_HEALTH_CHECKS: drops a broken or expired connection before
    # the step uses it (Celery's own per-task close is off when CELERY_DB_REUSE_MAX is set).
    # Skipped inside an atomic block (eager mode in a test), where closing would poison it.
    if not connection.in_atomic_block:
        close_old_connections()


def _redelivered(task: Any) -> bool:
    return bool((task.request.delivery_info or {}).get("redelivered"))


def resume_current(run_id: int) -> bool:
    """Run the run's current step if it is RUNNING and no worker holds it.

    Used when a message comes back because its worker died: that worker may have moved on to
    a step it kept in-process (which has no message of its own), so the message's own step is
    stale while the run still needs work. Safe for the same reasons any delivery is: the claim
    skips a row another worker holds, and running the step moves ``seq`` on.
    """
    current = (WorkflowRun.objects.filter(pk=run_id, status=WorkflowStatus.RUNNING)
               .values_list("current_step", "seq").first())
    return current is not None and engine.execute(run_id, *current)


def _execute(run_id: int, step: str, seq: int, redelivered: bool) -> bool:
    if redelivered:  # its worker died holding it: count the tries from here (engine/tries.py)
        tries.note_lost(run_id)
    return engine.execute(run_id, step, seq) or (redelivered and resume_current(run_id))


@shared_task(name="django_ai.execute_step", bind=True, autoretry_for=(DatabaseError,),
             retry_backoff=True, max_retries=5, **TASK_OPTIONS)
def execute_step(self: Any, run_id: int, step: str, seq: int) -> bool:
    """Execute step ``step`` of run ``run_id`` if the run is still at transition ``seq``."""
    _fresh_connection()
    return bool(chaining.run(_execute, run_id, step, seq, _redelivered(self)))


def _wake_at(run_id: int) -> Any:
    return WorkflowRun.objects.timed().filter(pk=run_id).values_list("wake_at", flat=True).first()


def _wake(run_id: int, redelivered: bool = False) -> bool:
    if engine.wake(run_id):
        return True
    if redelivered and resume_current(run_id):
        return True
    wake_at = _wake_at(run_id)
    if wake_at is None:
        return False  # already fired (by the periodic task) or the wait ended otherwise
    early = (wake_at - now()).total_seconds()
    if 0 < early <= EARLY_WAKE_SLACK_SECONDS:
        time.sleep(early)
        return engine.wake(run_id)
    return False  # the timer moved; whoever moved it scheduled a new wake


@shared_task(name="django_ai.wake", bind=True, autoretry_for=(DatabaseError,),
             retry_backoff=True, max_retries=5, **TASK_OPTIONS)
def wake_run(self: Any, run_id: int) -> bool:
    """Fire run ``run_id``'s timer if it is due (countdown tasks for short delays)."""
    _fresh_connection()
    return bool(chaining.run(_wake, run_id, _redelivered(self)))


@shared_task(name="django_ai.tick", **TASK_OPTIONS)
def tick() -> int:
    """Fire every due timer and deliver again runs whose delivery was lost (the periodic task)."""
    _fresh_connection()
    return engine.tick()
