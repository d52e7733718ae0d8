"""The engine: the public entry points that start, signal, cancel and drive runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from .. import registry
from ..backends import get_backend
from ..models import WorkflowRun
from ..observe.retention import run_periodic
from ..txn import in_user_atomic
from . import operations, timers, waking
from .execution import execute_step
from .starting import new_run


def _settle(run: WorkflowRun | None = None) -> None:
    """After a public call: let the backend act, and refresh ``run`` if steps ran inline."""
    backend = get_backend()
    backend.after_api_call()
    if run is not None and backend.runs_inline and not in_user_atomic():
        run.refresh_from_db()


class Engine:
    """``engine.start()``, ``engine.signal()`` and the operations behind the run admin."""

    def start(self, workflow: Any, /, **kwargs: Any) -> WorkflowRun:
        """Start ``workflow`` (its name or class); ``kwargs`` go to ``create_context``.

        Safe inside the caller's transaction: nothing runs until it commits.
        """
        spec = registry.get(workflow)
        context = spec.build_context(**kwargs)
        with transaction.atomic():
            run = new_run(spec, context)
        _settle(run)
        return run

    def signal(self, name: str, payload: dict[str, Any] | None = None, *,
               run_id: int | None = None) -> int:
        """Resume every run waiting for signal ``name`` (or just ``run_id``); returns the count."""
        resumed = waking.signal_runs(name, payload, run_id)
        _settle()
        return resumed

    def cancel(self, run_id: int, reason: str | None = None) -> bool:
        """Cancel a run (and its active subworkflows); False if it had already finished."""
        cancelled = operations.cancel(run_id, reason)
        _settle()
        return cancelled

    def retry_current_step(self, run_id: int) -> None:
        operations.retry_current_step(run_id)
        _settle()

    def submit_action(self, run_id: int, step_name: str, fields: dict[str, Any]) -> WorkflowRun:
        """Run an action step with submitted fields; the run must be waiting at that step."""
        run = operations.submit_action(run_id, step_name, fields)
        _settle(run)
        return run

    def wake_for_event(self, event_name: str, entity_model: str, entity_id: Any,
                       data: dict[str, Any]) -> int:
        resumed = waking.wake_for_event(event_name, entity_model, str(entity_id), data)
        _settle()
        return resumed

    def tick(self, now: datetime | None = None) -> int:
        """Fire due timers and recover lost deliveries (the periodic task calls this)."""
        done = timers.tick(now)
        _settle()
        return done + run_periodic(now)  # RETENTION, when set

    def execute(self, run_id: int, step: str, seq: int) -> bool:
        """Execute one delivered step (backends call this)."""
        return execute_step(run_id, step, seq)

    def wake(self, run_id: int) -> bool:
        """Fire one run's timer if due (countdown tasks call this)."""
        return timers.wake(run_id)


engine = Engine()
