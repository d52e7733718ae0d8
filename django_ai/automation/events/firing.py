"""Making pending events occur: after the commit that recorded them, and from the periodic
timer tick (``engine.tick()``, which ``time_machine`` drives) for scheduled ones and for any
whose after-commit hand-off was lost."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet

from ...conf import ai_settings
from ..workflows.backends import Handoff, get_backend, run_parked_handoffs
from ..workflows.clock import now as clock_now
from ..workflows.engine import timers, waking
from ..workflows.engine.timers import TimerSource
from ..workflows.models import WaitKind, WorkflowRun, WorkflowStatus
from ..workflows.txn import in_user_atomic
from .definitions import definition
from .models import Event, EventKind, EventStatus
from .occurrence import Occurrence, occurrences
from .planning import plan_runs

CONDITION_FALSE = "The event's condition did not hold at its time."
ENTITY_GONE = "The entity no longer exists."


def _scheduled_verdict(event: Event, occurrence: Occurrence) -> str:
    """'' if a due scheduled event occurs, else why it is cancelled."""
    entity = occurrence.entity
    if entity is None:
        return ENTITY_GONE
    declared = definition(type(entity), event.event_name)
    if declared is not None and not declared.holds(entity):
        return CONDITION_FALSE
    return ""


def _bindings(names: set[str], keys: set[str]) -> dict[str, list[tuple[str, str]]]:
    """The distinct bindings of runs waiting for these events that could match one of these
    entities (or any entity), in one query."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    rows = WorkflowRun.objects.filter(
        Q(entity_id="") | Q(entity_id__in=keys),
        status=WorkflowStatus.SUSPENDED, wait_kind=WaitKind.EVENT, waiting_for__in=names,
    ).values_list("waiting_for", "entity_model", "entity_id").distinct()
    for name, model, entity_id in rows:
        found[name].append((model, entity_id))
    return found


def _wake(events: list[Event], occ: dict[int, Occurrence]) -> None:
    """Resume the waiting runs each occurrence matches (SPEC 6 binding rules in ``waking``)."""
    if not events:
        return
    bindings = _bindings({event.event_name for event in events},
                         {event.entity_id for event in events})
    for event in events:
        occurrence = occ[event.pk]
        key = str(occurrence.entity_id)
        if not any(entity_id == "" or (entity_id == key and model in ("", occurrence.entity_model))
                   for model, entity_id in bindings.get(event.event_name, ())):
            continue
        data = {"event_id": event.pk, "event_name": event.event_name,
                "entity_id": occurrence.entity_id}
        waking.wake_for_event(event.event_name, occurrence.entity_model, key, data)


def _update(pks: list[int], **values: object) -> None:
    if pks:
        Event.objects.filter(pk__in=pks).update(**values)


def _handle(batch: list[Event], now: datetime) -> None:
    """Plan the runs of unplanned events and make the due ones occur (rows are locked)."""
    occ = occurrences(batch)
    unplanned = [event for event in batch if not event.planned]
    plan_runs(unplanned, occ, now)
    occurred, cancelled = [], defaultdict(list)
    for event in batch:
        if event.at > now:
            continue
        why = _scheduled_verdict(event, occ[event.pk]) if event.kind == EventKind.SCHEDULED else ""
        if why:
            cancelled[why].append(event.pk)
        else:
            occurred.append(event)
    settled = {event.pk for event in occurred}.union(*cancelled.values())
    _update([event.pk for event in unplanned if event.pk not in settled], planned=True)
    _update([event.pk for event in occurred], status=EventStatus.OCCURRED, occurred_at=now,
            updated_at=now, planned=True)
    for why, pks in cancelled.items():
        _update(pks, status=EventStatus.CANCELLED, note=why, updated_at=now, planned=True)
    _wake(occurred, occ)


def _claim(queryset: QuerySet[Event], size: int) -> list[Event]:
    return list(queryset.select_for_update(skip_locked=True)[:size])


def _drain(queryset: QuerySet[Event], now: datetime) -> int:
    size = int(ai_settings()["TIMER_BATCH_SIZE"])
    done = 0
    while True:
        with transaction.atomic():
            batch = _claim(queryset, size)
            _handle(batch, now)
        done += len(batch)
        if len(batch) < size:
            return done


def fire_due(at: datetime) -> int:
    """The timer source: plan unplanned events, then make every event due by ``at`` occur."""
    return _drain(Event.objects.unplanned(), at) + _drain(Event.objects.due(at), at)


def next_due() -> datetime | None:
    """When ``fire_due`` next has work: the earliest pending time (or an unplanned event)."""
    due = Event.objects.pending().order_by("at", "id").values_list("at", flat=True).first()
    lost = Event.objects.unplanned().values_list("created_at", flat=True).first()
    present = [value for value in (due, lost) if value is not None]
    return min(present) if present else None


TIMER_SOURCE = TimerSource(fire_due=fire_due, next_due=next_due)


# After-commit processing ------------------------------------------------------------------
_local = threading.local()
_IDS_PER_QUERY = 5000  # well under SQLite's limit on query parameters


def _pending_ids() -> set[int]:
    if not hasattr(_local, "ids"):
        _local.ids = set()
    return _local.ids


def process(ids: Iterable[int]) -> int:
    """Plan and (if due) make occur these committed events, a batch at a time."""
    ids = sorted(ids)
    now = clock_now()
    done = 0
    for start in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[start:start + _IDS_PER_QUERY]
        done += _drain(Event.objects.pending().filter(pk__in=chunk).filter(
            Q(planned=False) | Q(at__lte=now)).order_by("at", "id"), now)
        done += _start_overdue(chunk, now)
    return done


def _start_overdue(event_ids: list[int], now: datetime) -> int:
    """Start the runs whose planned start a date move put in the past: at once, not at the
    next tick."""
    overdue = WorkflowRun.objects.filter(
        trigger_event_id__in=event_ids, status=WorkflowStatus.WAITING,
        wait_kind=WaitKind.START, wake_at__lte=now,
    ).values_list("pk", flat=True)
    return sum(timers.wake(pk) for pk in overdue)


class EventHandoff(Handoff):
    """After commit: process every event recorded in the transaction at once. Each save
    registers one; the first to run takes all recorded ids, the rest find theirs taken.
    A ``Handoff`` so ``time_machine`` runs it inside tests' never-committing transactions."""

    __slots__ = ()

    def __init__(self, event_ids: tuple[int, ...]) -> None:
        super().__init__("events", *event_ids)

    def __call__(self) -> None:
        if self.taken:
            return
        self.taken = True
        pending = _pending_ids()
        if not any(pk in pending for pk in self.args):
            return
        ids = set(pending)
        pending.clear()
        process(ids)
        # Inside a test's never-committing transaction the runs' own hand-offs were parked
        # while this one ran; hand them on now, as the commit of ``process`` would have.
        run_parked_handoffs()


def settle() -> None:
    """Let the backend run what became runnable (as the engine does after its public calls)."""
    if not in_user_atomic():
        get_backend().after_api_call()


def occur_after_commit(event_ids: list[int]) -> None:
    """Plan these events' runs (and make due ones occur) once the current transaction commits."""
    ids = [pk for pk in event_ids if pk is not None]
    if not ids:
        return
    _pending_ids().update(ids)
    transaction.on_commit(EventHandoff(tuple(ids)))
