"""Celery delivery: each step is a task on the broker; the database stays the source of truth.

The engine calls ``deliver`` and ``schedule_wake`` only after the deciding commit. Publishing
can still fail (broker down); that is logged and not raised, because the run row already says
what must happen next and the periodic task recovers it (SPEC section 7).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from ....conf import ai_settings
from ..clock import now
from .base import Backend

logger = logging.getLogger("django_ai.workflows")

try:
    import celery
except ImportError:  # pragma: no cover - exercised by the system check instead
    celery = None


class CeleryNotInstalled(ImportError):
    """Raised when DJANGO_AI["BACKEND"] is "celery" but celery cannot be imported."""

    def __init__(self) -> None:
        super().__init__(
            'DJANGO_AI["BACKEND"] is "celery" but celery is not installed. Install it with '
            'pip install "django-ai-workflows[celery]", or set BACKEND to "immediate".'
        )


def timer_queue() -> str | None:
    """The queue of wake and tick tasks: their own, so a step backlog cannot delay them."""
    return ai_settings()["CELERY_TIMER_QUEUE"] or ai_settings()["CELERY_QUEUE"]


def publish(task: Any, args: tuple[Any, ...], queue: str | None = None, **options: Any) -> None:
    """Send ``task`` to ``queue`` (default: the step queue); log (do not raise) when the broker
    refuses it."""
    queue = queue or ai_settings()["CELERY_QUEUE"]
    if queue:
        options["queue"] = queue
    try:
        task.apply_async(args, **options)
    except Exception:
        logger.warning(
            "Could not publish %s%r to the broker; the periodic task will recover it.",
            task.name, args, exc_info=True,
        )


def batch_repr(deliveries: list[tuple[int, str, int]]) -> str:
    """A short ``argsrepr`` for a batch message (what monitoring and worker logs show).
    Left to Celery, ``saferepr`` walks every value of every message: 60 % of the time of
    publishing a fan-out to 10,000 runs (bench/README.md, "Profile")."""
    first, last = deliveries[0], deliveries[-1]
    if len(deliveries) <= 2:
        return repr(([list(d) for d in deliveries],))
    return f"([{list(first)}, ... {len(deliveries)} steps, ..., {list(last)}],)"


class CeleryBackend(Backend):
    """Sends step deliveries and short timers to the package's Celery tasks."""

    runs_inline = False

    def __init__(self) -> None:
        if celery is None:
            raise CeleryNotInstalled()

    def deliver(self, run_id: int, step: str, seq: int) -> None:
        from .. import tasks

        # Inside a step task, the worker may keep the next step for itself (tasks.chaining).
        if tasks.chaining.offer(run_id, step, seq):
            return
        publish(tasks.execute_step, (run_id, step, seq))

    def deliver_many(self, deliveries: list[tuple[int, str, int]]) -> None:
        """Publish a fan-out as batch messages (``STEP_MESSAGE_BATCH`` steps each) over one
        producer connection, instead of one message per run. A single step stays one message."""
        from .. import tasks

        if len(deliveries) == 1:
            self.deliver(*deliveries[0])
            return
        size = max(1, int(ai_settings()["STEP_MESSAGE_BATCH"]))
        chunks = [deliveries[i:i + size] for i in range(0, len(deliveries), size)]
        try:
            with tasks.execute_steps.app.producer_or_acquire() as producer:
                for chunk in chunks:
                    publish(tasks.execute_steps, ([list(d) for d in chunk],), producer=producer,
                            argsrepr=batch_repr(chunk))
        except Exception:  # acquiring the connection failed; the rows say what must run
            logger.warning("Could not publish %d step deliveries; the periodic task will "
                           "recover them.", len(deliveries), exc_info=True)

    def schedule_wake(self, run_id: int, at: datetime) -> None:
        """Send a countdown task for timers due soon; later ones are left to the periodic task,
        so a long sleep never depends on the broker remembering a message."""
        from .. import tasks

        delay = (at - now()).total_seconds()
        if delay > float(ai_settings()["COUNTDOWN_THRESHOLD_SECONDS"]):
            return
        publish(tasks.wake_run, (run_id,), queue=timer_queue(), countdown=max(delay, 0.0))
