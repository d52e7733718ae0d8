"""The engine: the public entry points that start, signal, cancel and drive runs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from .. import registry
from ..backends import get_backend
from ..models import WorkflowRun
from ..observe.retention import run_periodic
from ..txn import in_user_atomic
from . import idempotency, operations, starting, timers, waking
from .asynchronous import AsyncEngineMethods
from .execution import execute_step
from .kept import SignalOutcome
from .starting import build_contexts_of, new_run, new_runs


def _settle(run: WorkflowRun | None = None) -> None:
    """After a public call: let the backend act, and refresh ``run`` if steps ran inline."""
    backend = get_backend()
    backend.after_api_call()
    if run is not None and backend.runs_inline and not in_user_atomic():
        run.refresh_from_db()


class Engine(AsyncEngineMethods):
    """``engine.start()``, ``engine.signal()`` and the operations behind the run admin.

    The async twins (``await engine.astart(...)``, ``asignal``, ``acancel``,
    ``asubmit_action``) come from ``AsyncEngineMethods``.
    """

    def start(self, workflow: Any, /, *, idempotency_key: str | None = None,
              started_by: Any = None, **kwargs: Any) -> WorkflowRun:
        """Start ``workflow`` (its name or class); ``kwargs`` go to ``create_context``.

        Keyword-only options, never passed to the Context (their names are reserved, see
        ``checks.RESERVED_START_OPTIONS``):

        - ``idempotency_key``: at most one run per workflow and key; a repeated start returns
          that run (``run.is_duplicate_start``).
        - ``started_by``: the user who starts the run, e.g. ``request.user``; an anonymous
          user counts as none. Without a ``RUN_VISIBILITY_HOOK``, non-staff users see and
          advance only the runs they started.
        Safe inside the caller's transaction: nothing runs until it commits.
        """
        spec = registry.get(workflow)
        if idempotency_key is not None:
            idempotency_key = idempotency.check_key(spec.name, idempotency_key)
        context = spec.build_context(**kwargs)
        user = starting.starting_user(started_by)
        if idempotency_key is None:
            # One INSERT: in autocommit when the caller has no transaction (the hand-off
            # follows its commit at once), else in the caller's (the hand-off waits for it).
            run = new_run(spec, context, started_by=user)
        else:  # its own transaction, or a savepoint inside the caller's
            run = idempotency.start_once(spec, context, idempotency_key, started_by=user)
        _settle(run)
        return run

    def start_many(self, workflow: Any, contexts: Iterable[dict[str, Any]], /
                   ) -> list[WorkflowRun]:
        """Start one run of ``workflow`` per kwargs dict, with a few INSERTs per batch.

        Every Context is built and validated before any row is written; the runs are handed
        off after the commit, as one batch (one broker message per ``STEP_MESSAGE_BATCH``).
        """
        spec = registry.get(workflow)
        built = build_contexts_of(spec, contexts)
        with transaction.atomic(savepoint=False):
            runs = new_runs(spec, built)
        _settle()
        return runs

    def signal(self, name: str, payload: dict[str, Any] | None = None, *,
               run_id: int | None = None,
               within: QuerySet[WorkflowRun] | None = None) -> SignalOutcome:
        """Resume every run waiting for signal ``name`` (or just ``run_id``); returns the count.

        With ``run_id``, a run that is active but not yet waiting for ``name`` keeps the signal
        for its next ``wait.for_signal(name)``: the result is then 0 with ``.kept == 1``.
        ``within`` limits a broadcast to those runs (e.g. the runs a user may see).
        """
        resumed = waking.signal_runs(name, payload, run_id, within=within)
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

__all__ = ["Engine", "engine"]
