"""Bounding tries that never finish, so no delivery is redelivered forever.

A step's own exceptions are retried under its ``Retry`` policy and end in FAILED. What that
policy cannot see is a try that ends outside the step's code: the worker dies in the body (out
of memory, killed), or the outcome cannot be committed. The run then stays RUNNING and recovery
(or the broker) delivers it again, which would repeat forever if the cause is not transient.

``WorkflowRun.redeliveries`` counts such tries without a write on the healthy path: it is 0
until a delivery of the current transition is known to be lost or to have failed; from then on a
worker that claims the run first commits one more try (a transaction of its own), so a try that
dies is still counted. After ``MAX_TRIES_WITHOUT_PROGRESS`` counted tries the run fails with the
last error. Any transition (progress) resets the count (``state.bump``).
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, transaction
from django.db.models import Case, F, PositiveSmallIntegerField, Value, When

from ....conf import ai_settings
from .. import registry
from ..models import WorkflowRun, WorkflowStatus
from .finishing import error_text, fail_run

logger = logging.getLogger("django_ai.workflows")


def tries_counted(run: WorkflowRun) -> int:
    return max(run.redeliveries - 1, 0)


def count_try(run: WorkflowRun) -> bool:
    """Record one more try of the locked ``run`` before it runs; False when the run was failed
    instead because it has used up its tries."""
    if tries_counted(run) >= int(ai_settings()["MAX_TRIES_WITHOUT_PROGRESS"]):
        give_up(run)
        return False
    run.redeliveries += 1
    WorkflowRun.objects.filter(pk=run.pk).update(redeliveries=run.redeliveries)
    return True


def give_up(run: WorkflowRun) -> None:
    last = run.error.strip() or (
        "none was recorded: the process running the step stopped each time (killed, out of "
        "memory, or its database connection was lost)"
    )
    fail_run(run, registry.find(run.name),
             f"Step {run.current_step!r} of workflow {run.name!r} was tried "
             f"{tries_counted(run)} times without finishing, so the run was failed instead of "
             f"being delivered again (MAX_TRIES_WITHOUT_PROGRESS). Last error: {last}")


def mark_lost(run: WorkflowRun) -> None:
    """A delivery of the run's transition was lost: count the tries that follow."""
    run.redeliveries = max(run.redeliveries, 1)


def note_lost(run_id: int) -> None:
    """As ``mark_lost``, for a run that is not loaded (a message its worker died holding)."""
    WorkflowRun.objects.filter(pk=run_id, status=WorkflowStatus.RUNNING, redeliveries=0).update(
        redeliveries=1)


def note_failed_try(run_id: int, seq: int, exc: BaseException) -> None:
    """A try raised outside the step's code: keep the error, and count the try if it was not
    counted when it started. Best effort: the database itself may be what failed."""
    try:
        with transaction.atomic():
            WorkflowRun.objects.filter(pk=run_id, seq=seq, status=WorkflowStatus.RUNNING).update(
                error=error_text(exc),
                redeliveries=Case(When(redeliveries=0, then=Value(2)), default=F("redeliveries"),
                                  output_field=PositiveSmallIntegerField()),
            )
    except DatabaseError:
        logger.warning("Could not record the failed try of run %s", run_id, exc_info=True)
