"""Taking, freeing and handing on places of a gate, and reserving entries under a rate.

Every function here runs inside the caller's transaction and locks the gate row first, so
the count of holders it reads cannot change under it until the transaction ends.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from ..clock import now
from ..models import WaitKind, WorkflowRun, WorkflowStatus
from .models import LimitGate, LimitHolder, LimitWaiter
from .spec import BoundLimit


def lock_gate(scope: str, key: str) -> LimitGate:
    gate = LimitGate.objects.select_for_update().filter(scope=scope, key=key).first()
    if gate is not None:
        return gate
    try:
        with transaction.atomic():  # a savepoint: a concurrent creator wins the race
            LimitGate.objects.create(scope=scope, key=key)
    except IntegrityError:
        pass
    return LimitGate.objects.select_for_update().get(scope=scope, key=key)


def try_take(run: WorkflowRun, bound: BoundLimit, key: str) -> LimitGate | None:
    """Take a place for ``run`` (or find it already held); the full gate when none is free."""
    gate = lock_gate(bound.scope, key)
    capacity = bound.limit.concurrency
    if gate.capacity != capacity:
        gate.capacity = capacity
        gate.save(update_fields=["capacity"])
    holders = list(LimitHolder.objects.filter(gate=gate).values_list("run_id", flat=True))
    if run.pk in holders:
        return None
    if capacity is not None and len(holders) >= capacity:
        return gate
    LimitHolder.objects.create(gate=gate, run=run, step=bound.step, since=now())
    return None


def enqueue(gate: LimitGate, run: WorkflowRun, step: str, starting: bool) -> LimitWaiter:
    """Queue ``run`` at ``gate``; a run queued before keeps its place in line."""
    # No get_or_create: its savepoint would add three statements under the gate's lock.
    waiter = LimitWaiter.objects.filter(gate=gate, run=run).first()
    if waiter is None:
        waiter = LimitWaiter.objects.create(gate=gate, run=run, step=step, starting=starting,
                                            since=now())
    return waiter


def reserve(bound: BoundLimit, key: str, at: datetime) -> datetime:
    """Book the next entry under the rate (GCRA); returns when it may start (≥ ``at``)."""
    gate = lock_gate(bound.scope, key)
    limit = bound.limit
    planned = gate.next_entry_at or at
    start = max(at, planned - limit.interval * (limit.burst - 1))
    gate.next_entry_at = max(planned, at) + limit.interval
    gate.save(update_fields=["next_entry_at"])
    return start


def release(holder: LimitHolder) -> None:
    """Free ``holder``'s place: hand it straight to the first run queued at its gate, or drop
    it when nobody waits."""
    gate = LimitGate.objects.select_for_update().filter(pk=holder.gate_id).first()
    if gate is None or serve_queue(gate, 1, holder) == 0:
        LimitHolder.objects.filter(pk=holder.pk).delete()


def serve_queue(gate: LimitGate, places: int, holder: LimitHolder | None = None) -> int:
    """Give up to ``places`` places to queued runs in FIFO order (the gate is locked): each
    run gets a holder row (``holder``, handed over, for the first) and is made runnable."""
    served, after = 0, 0
    while served < places:
        # Small batches: the head of the queue is almost always served at once.
        batch = list(LimitWaiter.objects.filter(gate=gate, id__gt=after).order_by("id")
                     [: places - served + 2])
        if not batch:
            break
        for waiter in batch:
            after = waiter.pk
            if served < places and _serve(gate, waiter, holder if served == 0 else None):
                served += 1
    return served


def _serve(gate: LimitGate, waiter: LimitWaiter, holder: LimitHolder | None) -> bool:
    """Give ``waiter``'s run a place; False when the run is locked elsewhere or stopped
    waiting (its queue entry is dropped then)."""
    from ..engine.state import dispatch, make_runnable, save_run
    from .admission import Entry, mark_entry  # admission imports this module

    # A run locked elsewhere (being cancelled, say) is passed over; the sweep comes back.
    run = WorkflowRun.objects.select_for_update(skip_locked=True).filter(pk=waiter.run_id).first()
    if run is None:
        return False
    LimitWaiter.objects.filter(pk=waiter.pk).delete()
    if run.status != WorkflowStatus.WAITING or run.wait_kind != WaitKind.LIMIT:
        return False
    if holder is not None:
        holder.run, holder.step, holder.since = run, waiter.step, now()
        holder.save(update_fields=["run", "step", "since"])
    else:
        LimitHolder.objects.create(gate=gate, run=run, step=waiter.step, since=now())
    make_runnable(run)
    mark_entry(run, Entry(left="", starting=waiter.starting, granted=(gate.scope, gate.key)))
    save_run(run)
    dispatch(run)  # admission takes any other place it needs, then hands the step off
    return True
