"""Idempotent starts: ``engine.start(name, idempotency_key=K)`` creates at most one run per
workflow name and key, and every caller with that key gets that run.

The database decides between concurrent callers: a partial unique constraint refuses a second
*unfinished* run with one key, so the losing INSERT fails (on PostgreSQL it first waits for the
winner's transaction) and the loser reads the winner's run. Finished runs are outside that
constraint so that ``IDEMPOTENCY_KEY_REUSE`` can allow a new run after one finished; when reuse
is off, a start that finds a finished run with the key returns it instead.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from pydantic import BaseModel

from ....conf import ai_settings
from ..models import WorkflowRun
from ..specs import WorkflowSpec
from .starting import new_run

MAX_KEY_LENGTH = 200


def check_key(workflow: str, key: Any) -> str:
    """The key as given, or a ValueError naming the workflow and what is wrong with it."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(
            f"engine.start({workflow!r}, idempotency_key={key!r}): the key must be a non-empty "
            f"string of at most {MAX_KEY_LENGTH} characters."
        )
    return key


def _existing(spec: WorkflowSpec, key: str, *, finished: bool | None = None) -> WorkflowRun | None:
    runs = WorkflowRun.objects.filter(name=spec.name, idempotency_key=key)
    if finished is not None:
        runs = runs.filter(finished_at__isnull=not finished)
    return runs.order_by("-id").first()


def _mark(run: WorkflowRun, duplicate: bool) -> WorkflowRun:
    run.is_duplicate_start = duplicate
    return run


class _KeySpent(Exception):
    def __init__(self, run: WorkflowRun) -> None:
        self.run = run


def start_once(spec: WorkflowSpec, context: BaseModel, key: str, *,
               started_by: Any = None) -> WorkflowRun:
    """The run of ``key``: a new one, or the one an earlier start with ``key`` created.

    The INSERT and the check run in one atomic block: a transaction of their own, or a
    savepoint inside the caller's transaction, so that a refused duplicate leaves the caller's
    transaction usable; rolling the block back also drops the new run's hand-off.
    """
    reuse = bool(ai_settings()["IDEMPOTENCY_KEY_REUSE"])
    try:
        with transaction.atomic():
            run = new_run(spec, context, idempotency_key=key, started_by=started_by)
            # Checked after the INSERT, so a run that finished at any moment before is seen.
            if not reuse and (done := _existing(spec, key, finished=True)) is not None:
                raise _KeySpent(done)
    except _KeySpent as spent:
        return _mark(spent.run, True)
    except IntegrityError:
        # Another start won: its run is unfinished (the constraint said so) and committed.
        existing = _existing(spec, key, finished=False) or _existing(spec, key)
        if existing is None:
            raise
        return _mark(existing, True)
    return _mark(run, False)
