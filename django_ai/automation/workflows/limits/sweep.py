"""The limits' part of the periodic tick: repairs what no transition did.

- places held by runs that finished or moved on without freeing them (an operator edit, a
  path that bypassed the hook) are freed and handed on;
- queue entries of runs that stopped waiting (cancelled while queued) are dropped;
- gates with free places and queued runs (a wake-up that was passed over because the run
  was locked) serve their queue.

A worker killed mid-step needs none of this: its run keeps its place, recovery delivers the
step again after ``RECOVERY_AFTER_SECONDS`` and leaving the step frees the place.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F, Q

from ..models import TERMINAL_STATUSES, WaitKind, WorkflowStatus
from .gates import release, serve_queue
from .models import LimitGate, LimitHolder, LimitWaiter
from .registry import HOOKS

_BATCH = 200


def sweep(at: datetime) -> int:
    if not HOOKS:
        return 0  # no workflow in this process declares a limit
    return _free_stale_places() + _drop_stale_waiters() + _serve_free_places()


def _free_stale_places() -> int:
    stale = LimitHolder.objects.filter(
        Q(run__status__in=TERMINAL_STATUSES) | (~Q(step="") & ~Q(step=F("run__current_step")))
    ).values_list("pk", flat=True)[:_BATCH]
    freed = 0
    for pk in list(stale):
        with transaction.atomic():
            holder = LimitHolder.objects.filter(pk=pk).first()
            if holder is not None:
                release(holder)
                freed += 1
    return freed


def _drop_stale_waiters() -> int:
    deleted, _ = LimitWaiter.objects.exclude(
        run__status=WorkflowStatus.WAITING, run__wait_kind=WaitKind.LIMIT).delete()
    return deleted


def _serve_free_places() -> int:
    served = 0
    gate_ids = set(LimitWaiter.objects.values_list("gate_id", flat=True).distinct()[:_BATCH])
    for gate_id in sorted(gate_ids):
        with transaction.atomic():
            gate = LimitGate.objects.select_for_update().filter(pk=gate_id).first()
            if gate is None:
                continue
            held = LimitHolder.objects.filter(gate=gate).count()
            free = (gate.capacity - held) if gate.capacity is not None else 0
            if free > 0:
                served += serve_queue(gate, free)
    return served


def next_due() -> None:
    return None
