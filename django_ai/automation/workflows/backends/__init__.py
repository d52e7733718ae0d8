"""Choosing the delivery backend and handing work to it after commit."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from django.db import connection, transaction
from django.utils.module_loading import import_string

from ....conf import ai_settings
from ..txn import in_user_atomic
from .base import Backend

_ALIASES = {
    "immediate": "django_ai.automation.workflows.backends.immediate.ImmediateBackend",
    "celery": "django_ai.automation.workflows.backends.celery.CeleryBackend",
    "tasks": "django_ai.automation.workflows.backends.tasks.TasksBackend",
}
_override: Backend | None = None


@cache
def _configured(path: str) -> Backend:
    return import_string(_ALIASES.get(path, path))()


def get_backend() -> Backend:
    if _override is not None:
        return _override
    return _configured(ai_settings()["BACKEND"])


def current_backend_override() -> Backend | None:
    return _override


def set_backend_override(backend: Backend | None) -> None:
    """Route deliveries to ``backend`` (``time_machine`` does this); None restores the setting."""
    global _override
    _override = backend


class Handoff:
    """An on-commit callback for one delivery. ``taken`` lets ``time_machine`` claim it early
    inside a test transaction without it running again if that transaction later commits."""

    __slots__ = ("args", "kind", "taken")

    def __init__(self, kind: str, *args: object) -> None:
        self.kind = kind
        self.args = args
        self.taken = False

    def __call__(self) -> None:
        if self.taken:
            return
        self.taken = True
        backend = get_backend()
        if self.kind == "step":
            backend.deliver(*self.args)  # type: ignore[arg-type]
        else:
            backend.schedule_wake(*self.args)  # type: ignore[arg-type]


def hand_off_step(run_id: int, step: str, seq: int) -> None:
    transaction.on_commit(Handoff("step", run_id, step, seq))


def hand_off_wake(run_id: int, at: datetime) -> None:
    transaction.on_commit(Handoff("wake", run_id, at))


def run_parked_handoffs() -> None:
    """Inside a test's wrapping transaction (``TestCase``, pytest-django's ``db``), which never
    commits, run the hand-offs parked in Django's on-commit list once the caller's own atomic
    blocks have exited: that is the moment a real commit would have run them."""
    if not connection.in_atomic_block or in_user_atomic():
        return
    pending = connection.run_on_commit
    # Running a hand-off can park new ones (a backend that only queues): repeat until none.
    while parked := [entry[1] for entry in pending if isinstance(entry[1], Handoff)]:
        pending[:] = [entry for entry in pending if not isinstance(entry[1], Handoff)]
        for handoff in parked:
            handoff()
