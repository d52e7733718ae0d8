"""Signals and event occurrences reaching suspended runs, in batches."""

from __future__ import annotations

from collections.abc import Iterator
from operator import attrgetter
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from ....conf import ai_settings
from ..backends import hand_off_steps
from ..models import WaitKind, WorkflowRun, WorkflowStatus
from . import deferred, fastload, fastsignal, kept, resuming
from .kept import SignalOutcome
from .payloads import unheld_error


def _locked_batches(queryset: QuerySet[WorkflowRun]) -> Iterator[list[WorkflowRun]]:
    """Yield the matching runs locked, in id order, a batch at a time, as instances."""
    size = int(ai_settings()["SIGNAL_BATCH_SIZE"])
    return fastload.locked_batches(queryset, size, fastload.runs, attrgetter("pk"))


def _signal_one(name: str, payload: dict[str, Any], run_id: int) -> SignalOutcome:
    """Resume run ``run_id`` if it waits for ``name``; keep the signal if it is still active.
    Either way a payload key its Context does not declare is refused (SPEC 10)."""
    with transaction.atomic():
        # Locked by primary key alone: a step executing now holds the lock, and this waits
        # for its commit instead of missing a wait that is about to begin.
        run = WorkflowRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.is_finished:
            return SignalOutcome(0)
        if (run.status, run.wait_kind, run.waiting_for) != (
            WorkflowStatus.SUSPENDED, WaitKind.SIGNAL, name
        ) or deferred.set_aside(run):  # its wait is answered: this is for the next one
            kept.keep(run, name, payload)
            return SignalOutcome(0, kept=1)
        prepared = resuming.prepare([run], payload, f"Signal {name!r}", strict=True)
        _reject_unheld(name, payload, prepared.held, prepared.reached, run_id)
        resumed = resuming.apply(prepared)
        return SignalOutcome(resumed, kept=len(prepared.set_aside))


def signal_runs(name: str, payload: dict[str, Any] | None, run_id: int | None, *,
                within: QuerySet[WorkflowRun] | None = None) -> SignalOutcome:
    """Signal one run (``run_id``), or broadcast to the waiting runs (only those in ``within``
    when given: the runs a caller may reach)."""
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise TypeError(f"engine.signal({name!r}, payload=...) takes a dict, not {payload!r}.")
    if run_id is not None:
        return _signal_one(name, payload, run_id)
    # Set-aside runs are not waiting any more: their kept payload resumes them (deferred.py).
    queryset = WorkflowRun.objects.waiting_for_signal(name).filter(deferred.WAITING)
    if within is not None:  # a subquery, not a list
        queryset = queryset.filter(pk__in=within.values("pk"))
    outcome = fastsignal.Outcome()
    what = f"Signal {name!r}"
    with transaction.atomic():
        if fastsignal.usable():
            size = int(ai_settings()["SIGNAL_BATCH_SIZE"])
            for rows in fastsignal.locked_batches(queryset, size):
                fastsignal.resume_batch(rows, payload, what, outcome)
        else:
            for batch in _locked_batches(queryset):
                prepared = resuming.prepare(batch, payload, what, strict=True)
                outcome.add(prepared, resuming.apply(prepared))
        # A broadcast learns which Contexts it reached as it goes; raising rolls it all back.
        _reject_unheld(name, payload, outcome.held, outcome.reached, None)
        hand_off_steps(outcome.deliveries)  # one hand-off for the runs resumed in batches
    # set_aside: kept for a process that knows their code (a rolling deploy)
    return SignalOutcome(outcome.resumed, kept=outcome.set_aside)


def _reject_unheld(name: str, payload: dict[str, Any], held: set[str], reached: int,
                   run_id: int | None) -> None:
    """A payload key no reached run's Context holds is a mistake (usually a typo): SPEC 3."""
    unheld = sorted(set(payload) - held)
    if not unheld or not reached:
        return
    whom = f"run {run_id}'s Context" if run_id is not None else "the Context of any run it reached"
    raise unheld_error(f"Signal {name!r}", unheld, whom)


def event_waiters(event_name: str, entity_model: str, entity_id: str) -> QuerySet[WorkflowRun]:
    """Runs waiting for ``event_name`` whose binding matches the occurrence's entity."""
    binding = Q(entity_id="") | (
        Q(entity_id=entity_id) & (Q(entity_model="") | Q(entity_model=entity_model))
    )
    return WorkflowRun.objects.filter(
        binding, deferred.WAITING, status=WorkflowStatus.SUSPENDED, wait_kind=WaitKind.EVENT,
        waiting_for=event_name,
    )


def wake_for_event(
    event_name: str, entity_model: str, entity_id: str, data: dict[str, Any]
) -> int:
    """Resume matching runs with the event data; a run whose Context rejects it keeps waiting."""
    resumed = 0
    with transaction.atomic():
        for batch in _locked_batches(event_waiters(event_name, entity_model, str(entity_id))):
            prepared = resuming.prepare(batch, data, f"Event {event_name!r}", strict=False)
            resumed += resuming.apply(prepared)
    return resumed
