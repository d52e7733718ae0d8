"""The embedded default: steps run in-process right after the commit that scheduled them."""

from __future__ import annotations

import logging
import threading
from collections import deque

from . import run_parked_handoffs
from .base import Backend

logger = logging.getLogger("django_ai.workflows")


class ImmediateBackend(Backend):
    """Runs deliveries in the calling thread, one after another (a queue, not recursion,
    so a long chain of steps does not grow the stack)."""

    runs_inline = True

    def __init__(self) -> None:
        self._local = threading.local()

    def _queue(self) -> deque[tuple[int, str, int]]:
        if not hasattr(self._local, "queue"):
            self._local.queue = deque()
            self._local.draining = False
        return self._local.queue

    def deliver(self, run_id: int, step: str, seq: int) -> None:
        queue = self._queue()
        queue.append((run_id, step, seq))
        if self._local.draining:
            return
        self._local.draining = True
        try:
            self._drain(queue)
        finally:
            self._local.draining = False

    def after_api_call(self) -> None:
        run_parked_handoffs()

    def _drain(self, queue: deque[tuple[int, str, int]]) -> None:
        from ..engine.execution import execute_step

        while queue:
            run_id, step, seq = queue.popleft()
            try:
                execute_step(run_id, step, seq)
                run_parked_handoffs()
            except Exception:
                # The engine records step errors itself; this is an infrastructure failure
                # (database gone, bug). The run stays RUNNING and the periodic task recovers it.
                logger.exception("Delivery of step %r of run %s failed", step, run_id)
