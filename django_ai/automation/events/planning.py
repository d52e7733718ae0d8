"""Creating, moving and cancelling the runs that event workflows plan from an event.

Runs are built by ``engine.starting.build_run``, like every run, but inserted with one
``bulk_create`` per batch: a transaction that saves 1,000 entities starts 1,000 runs with a
handful of statements instead of one INSERT each.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db.models import F

from ..workflows import registry
from ..workflows.backends import hand_off_wake
from ..workflows.engine.starting import build_run
from ..workflows.engine.state import dispatch
from ..workflows.models import WaitKind, WorkflowRun, WorkflowStatus
from ..workflows.specs import WorkflowSpec
from .definitions import definition
from .models import Event, EventKind
from .occurrence import Occurrence

logger = logging.getLogger("django_ai.events")


def listeners(event_name: str) -> list[WorkflowSpec]:
    """Registered event workflows triggered by ``event_name``."""
    return [spec for spec in registry.all_specs()
            if spec.trigger is not None and spec.trigger.event_name == event_name]


def start_time(spec: WorkflowSpec, event_at: datetime) -> datetime:
    return event_at + spec.trigger.offset  # type: ignore[union-attr]


def _holds_now(event: Event, occurrence: Occurrence) -> bool:
    entity = occurrence.entity
    if entity is None:
        return False
    if event.kind == EventKind.EMITTED:  # raised from code: no declared condition applies
        return True
    declared = definition(type(entity), event.event_name)
    return declared is None or declared.holds(entity)


def _build_run(spec: WorkflowSpec, occurrence: Occurrence, start_at: datetime | None
               ) -> WorkflowRun | None:
    try:
        context = spec.build_context(event=occurrence)
        return build_run(
            spec, context, start_at=start_at, trigger_event_id=occurrence.id,
            entity=(occurrence.entity_model, str(occurrence.entity_id)),
        )
    except Exception:  # one workflow's bad Context must not stop the others' runs
        logger.exception("Event workflow %r could not build its Context from %r; no run started",
                         spec.name, occurrence)
        return None


def plan_runs(events: list[Event], occurrences: dict[int, Occurrence], now: datetime) -> int:
    """Create one run per listening workflow for each event; returns how many."""
    runs: list[WorkflowRun] = []
    for event in events:
        occurrence = occurrences[event.pk]
        for spec in listeners(event.event_name):
            start_at: datetime | None = start_time(spec, event.at)
            if start_at <= now:
                # The start moment has passed: start at once, if the condition holds now.
                if not _holds_now(event, occurrence):
                    continue
                start_at = None
            run = _build_run(spec, occurrence, start_at)
            if run is not None:
                runs.append(run)
    WorkflowRun.objects.bulk_create(runs)
    for run in runs:
        dispatch(run)
    return len(runs)


def _not_started(event_ids: Any) -> Any:
    return WorkflowRun.objects.filter(
        trigger_event_id__in=event_ids, status=WorkflowStatus.WAITING, wait_kind=WaitKind.START
    )


def move_runs(event: Event, now: datetime) -> int:
    """Re-time the runs planned from ``event`` that have not started to its new ``at``."""
    by_name: dict[str, list[int]] = defaultdict(list)
    for pk, name in _not_started([event.pk]).values_list("pk", "name"):
        by_name[name].append(pk)
    for name, pks in by_name.items():
        spec = registry.find(name)
        if spec is None or spec.trigger is None:
            continue
        wake_at = max(start_time(spec, event.at), now)
        # Re-checking status in the UPDATE leaves alone a run a worker started meanwhile.
        _not_started([event.pk]).filter(pk__in=pks).update(wake_at=wake_at, updated_at=now)
        for pk in pks:
            hand_off_wake(pk, wake_at)
    return sum(len(pks) for pks in by_name.values())


def cancel_runs(event_ids: Any, reason: str, now: datetime) -> int:
    """Cancel the runs planned from these events that have not started."""
    return _not_started(event_ids).update(
        status=WorkflowStatus.CANCELLED, wait_kind=WaitKind.NONE, wake_at=None, error=reason,
        finished_at=now, updated_at=now, seq=F("seq") + 1,
    )
