"""``time_machine``: run workflows synchronously under a clock that only moves when told.

Inside ``with time_machine() as tm:`` deliveries go to an in-memory queue that runs to idle after
every engine call, and timers fire only through ``tm.advance()`` / ``tm.advance_to()``.
In a test wrapped in a transaction (``TestCase``, pytest-django's ``db``) commits never happen,
so hand-offs are collected from Django's pending on-commit list once the code's own atomic
blocks have exited; those registered in blocks that rolled back were already dropped by Django.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

from django.db import transaction
from django.utils import timezone

from ..workflows import clock
from ..workflows.backends import (
    current_backend_override,
    run_parked_handoffs,
    set_backend_override,
)
from ..workflows.backends.base import Backend
from ..workflows.txn import in_user_atomic

_MAX_TIMER_ROUNDS = 100_000


class TimeMachine(Backend):
    runs_inline = True

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._queue: deque[tuple[int, str, int]] = deque()
        self._draining = False
        self._ticking = False

    @property
    def now(self) -> datetime:
        return self._now

    # Backend interface -------------------------------------------------------------
    def deliver(self, run_id: int, step: str, seq: int) -> None:
        self._queue.append((run_id, step, seq))
        # Called from a real commit (transactional tests): run it now, as a worker would.
        self.run_until_idle()

    def after_api_call(self) -> None:
        self.run_until_idle()

    # Driving time ------------------------------------------------------------------
    def run_until_idle(self) -> None:
        """Execute queued steps (and the steps they lead to) until nothing is left."""
        if self._draining or in_user_atomic():
            return
        from ..workflows.engine.execution import execute_step

        self._draining = True
        try:
            run_parked_handoffs()
            while self._queue:
                execute_step(*self._queue.popleft())
                run_parked_handoffs()
        finally:
            self._draining = False

    def advance_to(self, target: datetime) -> None:
        """Move the clock to ``target``, firing every timer due on the way, in time order."""
        from ..workflows.engine import timers

        self.run_until_idle()
        for _ in range(_MAX_TIMER_ROUNDS):
            due = timers.next_due()
            if due is None or due > target:
                break
            self._now = max(self._now, due)
            self._tick()
            self.run_until_idle()
        else:
            raise RuntimeError(f"Timers kept falling due at {self._now}; is one failing to fire?")
        self._now = max(self._now, target)
        self._tick()
        self.run_until_idle()

    def advance(self, delta: timedelta) -> None:
        self.advance_to(self._now + delta)

    def _tick(self) -> None:
        from ..workflows.engine import timers

        self._ticking = True  # the tick's own batches must not run steps between them
        try:
            timers.tick(self._now)
        finally:
            self._ticking = False

    def after_atomic_exit(self, rolled_back: bool) -> None:
        """An atomic block exited: once no block of the caller's is left open, run what its
        commit would have handed off (in a test's wrapping transaction nothing commits)."""
        if not rolled_back and not self._ticking:
            self.run_until_idle()


def _settling_exit(tm: TimeMachine, original: Any) -> Any:
    def __exit__(atomic: Any, exc_type: Any, exc_value: Any, traceback: Any) -> Any:
        result = original(atomic, exc_type, exc_value, traceback)
        tm.after_atomic_exit(rolled_back=exc_type is not None)
        return result

    return __exit__


@contextmanager
def time_machine(start: datetime | None = None) -> Iterator[TimeMachine]:
    """Run queued workflow work in-process under a clock that moves only when told."""
    tm = TimeMachine(start or timezone.now())
    # A machine may be started inside another (a test fixture's, say): restore the outer one.
    outer_clock, outer_backend = clock.current_override(), current_backend_override()
    clock.set_override(lambda: tm.now)
    set_backend_override(tm)
    try:
        with mock.patch("django.utils.timezone.now", lambda: tm.now), mock.patch.object(
            transaction.Atomic, "__exit__", _settling_exit(tm, transaction.Atomic.__exit__)
        ):
            yield tm
    finally:
        set_backend_override(outer_backend)
        clock.set_override(outer_clock)
