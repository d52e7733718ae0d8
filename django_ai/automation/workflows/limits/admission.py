"""The hook ``state.dispatch`` calls for runs of workflows that declare a ``Limit``.

``enter_step`` notes which step the run left and whether it is starting; here, once the run's
new state is saved, the place at the step it left is freed (and handed to the next queued
run), and a place at the step it enters is taken. A run that finds no place is parked as
WAITING (``wait_kind="limit"``) in the gate's queue; a rate spaces entries with a timer
(``wait_kind="rate"``). Places are held from entering a step until leaving it: retries and
sleeps at the step keep theirs. A workflow's own limit is held from start to finish.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .. import registry
from ..clock import now
from ..models import TERMINAL_STATUSES, WaitKind, WorkflowRun, WorkflowStatus
from ..specs import WorkflowSpec
from .gates import enqueue, release, reserve, try_take
from .models import LimitHolder
from .spec import BoundLimit

_ENTRY = "_dai_limit_entry"


@dataclass(frozen=True)
class Entry:
    left: str  # the step the run was at before ("" when new or woken from the queue)
    starting: bool
    granted: tuple[str, str] | None = None  # (scope, key) of a place handed over from a queue


def mark_entry(run: WorkflowRun, entry: Entry) -> None:
    setattr(run, _ENTRY, entry)


def note_entry(run: WorkflowRun, new_step: str) -> None:
    """Called by ``enter_step`` (before it changes the run) for limited workflows."""
    starting = run.pk is None or run.wait_kind == WaitKind.START or run.is_finished
    left = run.current_step if run.pk is not None and not starting else ""
    mark_entry(run, Entry(left=left if left != new_step else "", starting=starting))


def admit_hook(run: WorkflowRun) -> None:
    entry: Entry | None = run.__dict__.pop(_ENTRY, None)
    if run.status in TERMINAL_STATUSES:
        release_all(run)
        return
    spec = registry.find(run.name)
    if entry is None or spec is None:
        return  # a sleep, retry or signal back into the same step keeps what it holds
    left = spec.limits.get(entry.left) if entry.left else None
    if left is not None and left.limit.concurrency is not None:
        for holder in LimitHolder.objects.filter(run=run, step=entry.left):
            release(holder)
    if run.status == WorkflowStatus.RUNNING:
        admit(run, spec, entry.starting, entry.granted)


def _needs(run: WorkflowRun, spec: WorkflowSpec, starting: bool) -> list[BoundLimit]:
    needs = [spec.limits[""]] if starting and "" in spec.limits else []
    step = spec.limits.get(run.current_step)
    return [*needs, step] if step is not None else needs


def admit(run: WorkflowRun, spec: WorkflowSpec, starting: bool,
          granted: tuple[str, str] | None = None) -> None:
    """Take every place the run needs to run its step, or park it at the first full gate."""
    needs = _needs(run, spec, starting)
    for bound in needs:
        if bound.limit.concurrency is None:
            continue
        key = bound.limit.key_value(run.data)
        if (bound.scope, key) == granted:
            continue  # handed over with the run's wake-up
        full = try_take(run, bound, key)
        if full is not None:
            waiter = enqueue(full, run, bound.step, starting)
            _park(run, WaitKind.LIMIT, None, {
                "kind": "concurrency", "limit": bound.scope, "key": key,
                "capacity": bound.limit.concurrency, "since": waiter.since.isoformat()})
            return
    at = now()
    latest, scopes = at, []
    for bound in needs:
        if bound.limit.rate is not None:
            start = reserve(bound, bound.limit.key_value(run.data), at)
            if start > latest:
                latest, scopes = start, [*scopes, bound]
    if latest > at:
        bound = scopes[-1]
        _park(run, WaitKind.RATE, latest, {
            "kind": "rate", "limit": bound.scope, "key": bound.limit.key_value(run.data),
            "rate": bound.limit.rate, "since": at.isoformat(), "until": latest.isoformat()})


def pace_retry(run: WorkflowRun, spec: WorkflowSpec, at: datetime) -> datetime:
    """A retry calls what the step calls again: it books an entry under the step's rate."""
    bound = spec.limits.get(run.current_step)
    if bound is None or bound.limit.rate is None:
        return at
    return reserve(bound, bound.limit.key_value(run.data), at)


def _park(run: WorkflowRun, kind: str, until: datetime | None, info: dict[str, object]) -> None:
    from ..engine.state import save_run, wait_until

    if until is None:
        run.status = WorkflowStatus.WAITING
        run.wait_kind = kind
        run.wake_at = None
    else:
        wait_until(run, kind, until)
    label = f"{info['limit']} [{info['key']}]" if info["key"] else str(info["limit"])
    run.waiting_for = label[:200]
    run.waiting_display = {"limit_wait": info}
    save_run(run)


def release_all(run: WorkflowRun) -> None:
    """A finished run frees every place it held. A queue entry it may have left (cancelled
    while queued) is skipped when reached and dropped by the tick."""
    for holder in LimitHolder.objects.filter(run=run):
        release(holder)
