"""Operator actions on one run: cancel, retry the current step, submit an action step."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from django.db import IntegrityError, transaction

from .. import registry
from ..clock import now
from ..errors import ActionFailedError, RunStateError
from ..models import TERMINAL_STATUSES, StepExecution, WaitKind, WorkflowRun, WorkflowStatus
from ..txn import write_locked_atomic
from . import kept
from .execution import AttemptFailed, run_step_body
from .finishing import cap
from .state import bump, clear_wait, enter_step, history, persist


def _lock(run_id: int) -> WorkflowRun:
    run = WorkflowRun.objects.select_for_update().filter(pk=run_id).first()
    if run is None:
        raise WorkflowRun.DoesNotExist(f"No workflow run with id {run_id}.")
    return run


def _guard_child(run: WorkflowRun, operation: str) -> None:
    if run.parent_run_id is None:
        return
    parent = WorkflowRun.objects.filter(pk=run.parent_run_id).only("status", "name").first()
    if parent is not None and parent.status not in TERMINAL_STATUSES:
        raise RunStateError(
            f"Cannot {operation} run {run.pk}: it is a subworkflow of run {parent.pk} "
            f"({parent.name}), which is still {parent.status}. {operation.capitalize()} the "
            "parent instead, or handle the child's outcome in the parent's on_complete step."
        )


def _active_chain(run_id: int) -> list[int]:
    """The run and its active descendants, outermost first (read without locks)."""
    chain = [run_id]
    while True:
        child = (WorkflowRun.objects.filter(pk=chain[-1]).values_list("active_child_id", flat=True)
                 .first())
        if child is None or child in chain:
            return chain
        status = WorkflowRun.objects.filter(pk=child).values_list("status", flat=True).first()
        if status in TERMINAL_STATUSES:
            return chain
        chain.append(child)


def _chain_holds(members: list[WorkflowRun]) -> bool:
    """Under the locks, the chain read before locking is still the run's active chain."""
    for parent, child in pairwise(members):
        if parent.active_child_id != child.pk or child.status in TERMINAL_STATUSES:
            return False
    deepest = members[-1]
    if deepest.active_child_id in (None, *(member.pk for member in members)):
        return True
    if deepest.status in TERMINAL_STATUSES:
        return True
    status = WorkflowRun.objects.filter(pk=deepest.active_child_id).values_list(
        "status", flat=True).first()
    return status is None or status in TERMINAL_STATUSES


class _ChainMoved(Exception):
    """A run of the chain moved on before it was locked; release the locks and read again."""


def _lock_chain(run_id: int) -> list[WorkflowRun]:
    """Lock the run and its active descendants, deepest first, outermost first in the result.

    Every path that locks a parent and its child locks the child first (a finishing child
    locks itself, then wakes its parent), so cancel does too: the global order is child before
    parent (docs/decisions-engine.md). The chain is read without locks, so it is checked again
    once locked; if it moved (a child finished, another started), the savepoint is rolled
    back, which releases its row locks, and the chain is read again.
    """
    for _ in range(_CHAIN_READS):
        chain = _active_chain(run_id)
        try:
            with transaction.atomic():
                locked = {member: _lock(member) for member in reversed(chain)}
                members = [locked[member] for member in chain]
                if not _chain_holds(members):
                    raise _ChainMoved()
                return members
        except _ChainMoved:
            continue
    raise RunStateError(f"Run {run_id}'s subworkflows kept changing while it was being "
                        "cancelled; try again.")


_CHAIN_READS = 20


def _cancel_locked(run: WorkflowRun, reason: str) -> None:
    row = history(run, StepExecution.Status.CANCELLED, reason)
    kept.discard(run, WorkflowStatus.CANCELLED)
    bump(run)
    clear_wait(run)
    run.status = WorkflowStatus.CANCELLED
    run.error = reason
    run.finished_at = now()
    persist(run, row)


def cancel(run_id: int, reason: str | None = None) -> bool:
    """Cancel a run and, first and depth-first, its active subworkflows.

    Returns False for a run that had already finished (it is left unchanged).
    """
    reason = cap(reason or "Cancelled.")
    with transaction.atomic():
        members = _lock_chain(run_id)
        top = members[0]
        _guard_child(top, "cancel")
        if top.status in TERMINAL_STATUSES:
            return False
        for member in reversed(members):  # the deepest child first
            if member.status not in TERMINAL_STATUSES:
                _cancel_locked(member, reason if member.pk == run_id else
                               f"Parent run {run_id} was cancelled: {reason}")
    return True


RETRYABLE = "only a failed run, or one waiting out a retry backoff, can be retried"


def retry_current_step(run_id: int) -> None:
    """Run a FAILED run's current step again with a fresh attempt count, or run a step that
    waits out a retry backoff now. Any other state raises ``RunStateError``; nothing runs."""
    try:
        _retry_locked(run_id)
    except IntegrityError:
        raise RunStateError(
            f"Run {run_id} cannot run again: its idempotency key belongs to a newer unfinished "
            "run (IDEMPOTENCY_KEY_REUSE is on)."
        )


def _retry_locked(run_id: int) -> None:
    with transaction.atomic():
        run = _lock(run_id)
        waiting_retry = run.status == WorkflowStatus.WAITING and run.wait_kind == WaitKind.RETRY
        if run.status != WorkflowStatus.FAILED and not waiting_retry:
            raise RunStateError(
                f"Run {run.pk} ({run.name}) is {run.status}{_waiting_for(run)}; {RETRYABLE}.")
        _guard_child(run, "retry")
        spec = registry.find(run.name)
        if spec is None:
            raise RunStateError(f"Run {run.pk}'s workflow {run.name!r} is not registered in this "
                                "process; deploy it again before retrying the run.")
        if run.current_step not in spec.steps:
            raise RunStateError(f"Run {run.pk} is at step {run.current_step!r}, which workflow "
                                f"{spec.name!r} no longer has.")
        run.error = ""
        run.finished_at = None
        enter_step(run, spec, run.current_step)
        persist(run)


def _waiting_for(run: WorkflowRun) -> str:
    return f" ({run.wait_kind} wait) at step {run.current_step!r}" if run.wait_kind else (
        f" at step {run.current_step!r}")


def submit_action(run_id: int, step_name: str, fields: dict[str, Any]) -> WorkflowRun:
    """Run action step ``step_name`` with the submitted ``fields``, under the run's lock."""
    try:
        return _submit_locked(run_id, step_name, fields)
    except AttemptFailed as failure:
        raise ActionFailedError(
            f"Action step {step_name!r} of run {run_id} failed; the run still waits there.\n"
            f"{failure.error}"
        )


def _submit_locked(run_id: int, step_name: str, fields: dict[str, Any]) -> WorkflowRun:
    # On SQLite the row lock is the database's write lock, taken before the run is read.
    with write_locked_atomic():
        run = _lock(run_id)
        at_step = (run.status == WorkflowStatus.SUSPENDED and run.wait_kind == WaitKind.ACTION
                   and run.current_step == step_name)
        if not at_step:
            raise RunStateError(
                f"Run {run.pk} is not waiting at action step {step_name!r}: it is {run.status} "
                f"at step {run.current_step!r}."
            )
        spec = registry.get(run.name)
        bump(run)
        clear_wait(run)
        run.status = WorkflowStatus.RUNNING
        run_step_body(run, spec, spec.steps[step_name], fields)
    return run
