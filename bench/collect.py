"""A delivery backend that only collects hand-offs, so a driver can execute them in a loop
(``engine.execute``) and count time and queries of the engine alone, without a broker."""

from __future__ import annotations

from collections import deque
from datetime import datetime

from django_ai.automation.workflows.backends.base import Backend
from django_ai.automation.workflows.engine import engine


class CollectingBackend(Backend):
    runs_inline = False

    def __init__(self) -> None:
        self.steps: deque[tuple[int, str, int]] = deque()
        self.wakes: list[tuple[int, datetime]] = []

    def deliver(self, run_id: int, step: str, seq: int) -> None:
        self.steps.append((run_id, step, seq))

    def schedule_wake(self, run_id: int, at: datetime) -> None:
        self.wakes.append((run_id, at))

    def drain(self) -> int:
        """Execute collected steps, and the steps they lead to, until none is left."""
        executed = 0
        while self.steps:
            executed += engine.execute(*self.steps.popleft())
        return executed

    def clear(self) -> None:
        self.steps.clear()
        self.wakes.clear()
