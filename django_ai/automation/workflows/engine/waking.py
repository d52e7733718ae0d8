"""Signals and event occurrences reaching suspended runs, in batches."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from ....conf import ai_settings
from ..errors import SignalPayloadError
from ..models import WaitKind, WorkflowRun, WorkflowStatus
from . import resuming


def _locked_batches(queryset: QuerySet[WorkflowRun]):
    """Yield the matching runs locked, in id order, a batch at a time."""
    size = int(ai_settings()["SIGNAL_BATCH_SIZE"])
    last_id = 0
    while True:
        batch = list(queryset.filter(pk__gt=last_id).order_by("pk").select_for_update()[:size])
        if batch:
            yield batch
            last_id = batch[-1].pk
        if len(batch) < size:
            return


def signal_runs(name: str, payload: dict[str, Any] | None, run_id: int | None) -> int:
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise TypeError(f"engine.signal({name!r}, payload=...) takes a dict, not {payload!r}.")
    queryset = WorkflowRun.objects.waiting_for_signal(name)
    if run_id is not None:
        queryset = queryset.filter(pk=run_id)
    resumed, reached, held = 0, 0, set()
    with transaction.atomic():
        for batch in _locked_batches(queryset):
            prepared = resuming.prepare(batch, payload, f"Signal {name!r}", strict=True)
            if run_id is not None:
                _reject_unheld(name, payload, prepared.held, prepared.reached, run_id)
            resuming.apply(prepared)
            resumed += len(prepared.ready)
            reached += prepared.reached
            held |= prepared.held
        # A broadcast learns which Contexts it reached as it goes; raising rolls it all back.
        _reject_unheld(name, payload, held, reached, run_id)
    return resumed


def _reject_unheld(name: str, payload: dict[str, Any], held: set[str], reached: int,
                   run_id: int | None) -> None:
    """A payload key no reached run's Context holds is a mistake (usually a typo): SPEC 3."""
    unheld = sorted(set(payload) - held)
    if not unheld or not reached:
        return
    whom = f"run {run_id}'s Context" if run_id is not None else "the Context of any run it reached"
    raise SignalPayloadError(
        f"Signal {name!r}: payload key(s) {', '.join(map(repr, unheld))} are not fields of "
        f"{whom}; nothing was changed. Check the spelling."
    )


def event_waiters(event_name: str, entity_model: str, entity_id: str) -> QuerySet[WorkflowRun]:
    """Runs waiting for ``event_name`` whose binding matches the occurrence's entity."""
    binding = Q(entity_id="") | (
        Q(entity_id=entity_id) & (Q(entity_model="") | Q(entity_model=entity_model))
    )
    return WorkflowRun.objects.filter(
        binding, status=WorkflowStatus.SUSPENDED, wait_kind=WaitKind.EVENT, waiting_for=event_name
    )


def wake_for_event(
    event_name: str, entity_model: str, entity_id: str, data: dict[str, Any]
) -> int:
    """Resume matching runs with the event data; a run whose Context rejects it keeps waiting."""
    resumed = 0
    with transaction.atomic():
        for batch in _locked_batches(event_waiters(event_name, entity_model, str(entity_id))):
            prepared = resuming.prepare(batch, data, f"Event {event_name!r}", strict=False)
            resuming.apply(prepared)
            resumed += len(prepared.ready)
    return resumed
