"""In-process chaining of automated steps, shared by the queue-based backends.

A worker that has just run a step keeps the next one for itself instead of a round trip through
the queue (Celery's broker or the Django Tasks table). Each held step runs in its own
transaction, exactly as if it had come from the queue; after ``INLINE_STEP_LIMIT`` steps the
rest goes back to the queue so one run cannot hog a worker.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from ...conf import ai_settings

logger = logging.getLogger("django_ai.workflows")

Delivery = tuple[int, str, int]


class InlineChain(threading.local):
    """Holds the first delivery a step task's commits produce (further ones, such as a signal
    fanning out, go to the queue so other workers share them). ``requeue`` sends a delivery back
    to the queue: the leftover after the limit, or a held step that failed for infrastructure
    reasons."""

    def __init__(self, requeue: Callable[[int, str, int], None]) -> None:
        self.requeue = requeue
        self.active = False
        self.pending: Delivery | None = None

    def offer(self, run_id: int, step: str, seq: int) -> bool:
        """Keep the delivery for this worker; False when the caller must publish it."""
        if not self.active or self.pending is not None:
            return False
        self.pending = (run_id, step, seq)
        return True

    def take(self) -> Delivery | None:
        item, self.pending = self.pending, None
        return item

    def run(self, action: Callable[..., Any], *args: Any) -> Any:
        """Call ``action(*args)`` and then the steps it hands on, up to the limit."""
        if self.active:  # nested (eager mode, the immediate task backend): a plain call
            return action(*args)
        budget = int(ai_settings()["INLINE_STEP_LIMIT"])
        self.active = budget > 1
        try:
            result = action(*args)
            for _ in range(budget - 1):
                item = self.take()
                if item is None:
                    break
                self._run_held(item)
            return result
        finally:
            self.active = False
            leftover = self.take()
            if leftover is not None:
                self.requeue(*leftover)

    def _run_held(self, item: Delivery) -> None:
        from .engine import engine

        try:
            engine.execute(*item)
        except Exception:
            # Infrastructure failure (the step's own errors are recorded by the engine):
            # give the delivery back to the queue rather than fail the task it rode on.
            logger.exception("Inline step %r of run %s failed; re-queueing it", item[1], item[0])
            self.requeue(*item)
