"""Resuming batches of suspended runs when a signal or an event reaches them.

Runs that receive the same payload and move to the same state are written with one UPDATE
(their Context keys set in SQL); history rows go in with one INSERT per batch.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import F
from pydantic import ValidationError

from .. import registry
from ..clock import now
from ..models import StepExecution, WorkflowRun
from ..specs import WorkflowSpec
from . import deferred, jsonmerge
from .payloads import merge_payload, payload_error
from .state import dispatch, enter_step, history, make_runnable, save_run

logger = logging.getLogger("django_ai.workflows")

_GROUP_FIELDS = ("status", "current_step", "attempt", "wait_kind", "waiting_for", "wake_at",
                 "on_timeout_step", "resume_step", "waiting_display", "error")


@dataclass
class Resumption:
    run: WorkflowRun
    updates: dict[str, Any]  # the payload's Context fields, as JSON
    fast: bool  # the merged Context is exactly data | updates: SQL can merge it


def _merge(run: WorkflowRun, spec: WorkflowSpec, payload: dict[str, Any]) -> Resumption:
    merged, updates = merge_payload(spec, run.data, payload)
    fast = merged == {**run.data, **updates}
    run.data = merged
    return Resumption(run, updates, fast)


def prepare(runs: Iterable[WorkflowRun], payload: dict[str, Any], what: str,
            strict: bool, set_aside: list[WorkflowRun] | None = None) -> list[Resumption]:
    """Validate the payload against every run. Strict: any misfit raises; else it is skipped."""
    prepared = []
    for run in runs:
        spec = registry.find(run.name)
        if spec is None:  # a rolling deploy: another process may know it
            if deferred.defer(run, payload, f"{what} reached run {run.pk}, but workflow "
                                            f"{run.name!r} is not registered in this process."):
                _note(set_aside, run)
            continue
        try:
            prepared.append(_merge(run, spec, payload))
        except ValidationError as exc:
            error = payload_error(run, what, exc)
            if strict:
                raise error
            logger.warning("%s", error)
    return prepared


def _advance(run: WorkflowRun) -> StepExecution | None:
    """Move past the wait. A step that returned the wait is recorded as completed now."""
    if run.resume_step == run.current_step:  # a waiting step: its body has not run yet
        make_runnable(run)
        return None
    row = history(run, StepExecution.Status.COMPLETED)
    spec = registry.get(run.name)
    enter_step(run, spec, run.resume_step)
    return row


def _state_key(item: Resumption) -> tuple[Any, ...]:
    run = item.run
    values = [getattr(run, name) for name in _GROUP_FIELDS]
    values[_GROUP_FIELDS.index("waiting_display")] = repr(sorted(run.waiting_display.items()))
    return (repr(sorted(item.updates.items())), *values)


def _write_group(items: list[Resumption]) -> None:
    first = items[0]
    state = {name: getattr(first.run, name) for name in _GROUP_FIELDS}
    WorkflowRun.objects.filter(pk__in=[item.run.pk for item in items]).update(
        data=jsonmerge.JsonSetKeys("data", first.updates) if first.updates else F("data"),
        seq=F("seq") + 1, updated_at=now(), **state,
    )


def _note(set_aside: list[WorkflowRun] | None, run: WorkflowRun) -> None:
    if set_aside is not None:
        set_aside.append(run)


def _drop_missing_targets(prepared: list[Resumption],
                          set_aside: list[WorkflowRun] | None) -> list[Resumption]:
    """Set aside runs whose resume step this process does not know (a deploy while waiting):
    another process may know it; after the grace period the run fails."""
    kept = []
    for item in prepared:
        problem = deferred.unknown_code(item.run)
        if problem is None:
            kept.append(item)
        elif deferred.defer(item.run, item.updates, problem):
            _note(set_aside, item.run)
    return kept


def apply(prepared: list[Resumption], set_aside: list[WorkflowRun] | None = None) -> int:
    """Advance every prepared run past its wait and write the batch; returns how many.

    Runs this process cannot resume are set aside (and added to ``set_aside``)."""
    prepared = _drop_missing_targets(prepared, set_aside)
    rows = [row for item in prepared if (row := _advance(item.run)) is not None]
    groups: dict[tuple[Any, ...], list[Resumption]] = defaultdict(list)
    for item in prepared:
        if item.fast and jsonmerge.supported(connection):
            groups[_state_key(item)].append(item)
        else:
            save_run(item.run)
    for items in groups.values():
        _write_group(items)
    StepExecution.objects.bulk_create(rows)
    for item in prepared:
        dispatch(item.run)
    return len(prepared)
