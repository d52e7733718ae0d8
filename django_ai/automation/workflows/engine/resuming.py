"""Resuming batches of suspended runs when a signal or an event reaches them.

Runs that receive the same payload and move to the same state are written with one UPDATE
(their Context keys set in SQL); history rows go in with one INSERT per batch.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import F
from pydantic import ValidationError

from .. import registry
from ..clock import now
from ..errors import SignalPayloadError, UnstorableValueError
from ..models import StepExecution, WorkflowRun
from ..specs import WorkflowSpec
from . import contextdata, deferred, fastsql, jsonmerge
from .finishing import fail_run
from .payloads import held_keys, merged_context, payload_error, updates_of
from .state import dispatch_many, enter_step, history_values, make_runnable, save_run
from .storable import check_storable

logger = logging.getLogger("django_ai.workflows")

_GROUP_FIELDS = ("status", "current_step", "attempt", "wait_kind", "waiting_for", "wake_at",
                 "on_timeout_step", "resume_step", "waiting_display", "error",
                 "context_fingerprint")


@dataclass
class Resumption:
    run: WorkflowRun
    updates: dict[str, Any]  # the payload's Context fields, as JSON
    fast: bool  # the merged Context is exactly data | updates: SQL can merge it
    log_changed: bool = False  # a history row took the step log (and a new wait may be in it)


@dataclass
class Prepared:
    """A batch checked against a payload: runs to resume, runs that cannot load their own
    saved Context (failed on their own), the payload keys some reached run holds, and runs set
    aside for a process that knows their code (a rolling deploy: ``deferred``)."""

    ready: list[Resumption] = field(default_factory=list)
    broken: list[tuple[WorkflowRun, str]] = field(default_factory=list)
    held: set[str] = field(default_factory=set)
    reached: int = 0
    set_aside: list[WorkflowRun] = field(default_factory=list)


__all__ = ["Prepared", "Resumption", "apply", "held_keys", "prepare"]


def _merge(run: WorkflowRun, spec: WorkflowSpec, payload: dict[str, Any],
           held: dict[str, str]) -> Resumption:
    merged = merged_context(spec, run.data, payload, held).model_dump(mode="json")
    updates = updates_of(merged, held)
    fast = merged == {**run.data, **updates}
    run.data = merged
    run.context_fingerprint = contextdata.fingerprint(spec.context_cls)
    return Resumption(run, updates, fast)


def _saved_context_error(run: WorkflowRun, spec: WorkflowSpec) -> ValidationError | None:
    try:
        spec.context_cls.model_validate(run.data)
    except ValidationError as exc:
        return exc
    return None


def _misfit(run: WorkflowRun, spec: WorkflowSpec, held: dict[str, str], what: str,
            exc: ValidationError, prepared: Prepared) -> SignalPayloadError | None:
    """Sort a failed merge: the payload's fault (returned), or the run's own saved Context
    no longer fitting its class (recorded in ``prepared.broken``)."""
    touched = set(held) | set(held.values())
    if not any(err["loc"] and err["loc"][0] in touched for err in exc.errors()):
        saved_error = _saved_context_error(run, spec)
        if saved_error is not None:
            where = f"{what} could not resume run {run.pk} ({run.name})"
            prepared.broken.append((run, contextdata.load_failure(run, spec, saved_error, where)))
            return None
    return payload_error(run, what, exc)


def prepare(runs: Iterable[WorkflowRun], payload: dict[str, Any], what: str,
            strict: bool) -> Prepared:
    """Validate the payload against every run. Strict: any misfit raises; else it is skipped.
    A run whose own saved Context no longer loads never blocks the others (SPEC 10)."""
    prepared = Prepared()
    clean: dict[str, Any] | None = None  # the last updates found storable (usually all alike)
    for run in runs:
        spec = registry.find(run.name)
        if spec is None:  # a rolling deploy: another process may know it
            if deferred.defer(run, payload, f"{what} reached run {run.pk}, but workflow "
                                            f"{run.name!r} is not registered in this process."):
                prepared.set_aside.append(run)
            continue
        prepared.reached += 1
        held = held_keys(spec, payload)
        prepared.held.update(held)
        try:
            resumption = _merge(run, spec, payload, held)
            if resumption.updates != clean:  # equal JSON values are equally storable
                check_storable(resumption.updates,
                               f"{what} payload for run {run.pk} ({run.name})")
                clean = resumption.updates
        except ValidationError as exc:
            error = _misfit(run, spec, held, what, exc, prepared)
        except UnstorableValueError as exc:
            error = SignalPayloadError(f"{exc} No run was changed.")
        else:
            prepared.ready.append(resumption)
            continue
        if error is not None and strict:
            raise error
        if error is not None:
            logger.warning("%s", error)
    return prepared


def fail_broken(prepared: Prepared) -> None:
    for run, message in prepared.broken:
        fail_run(run, registry.find(run.name), message)


def _advance(run: WorkflowRun) -> dict[str, Any] | None:
    """Move past the wait. A step that returned the wait is recorded as completed now (the
    history row's column values are returned)."""
    if run.resume_step == run.current_step:  # a waiting step: its body has not run yet
        make_runnable(run)
        return None
    row = history_values(run, StepExecution.Status.COMPLETED)
    spec = registry.get(run.name)
    enter_step(run, spec, run.resume_step)
    return row


def _log_shape(item: Resumption) -> str | None:
    """The new step log without its times: runs resumed in one batch that differ only in
    when their next wait began (microseconds apart) share one UPDATE and the first one's log."""
    if not item.log_changed:
        return None  # the log in the database stays as it is
    return repr([(entry.get("k"), "u" in entry, entry.get("d")) for entry in item.run.step_log])


def _state_key(item: Resumption) -> tuple[Any, ...]:
    run = item.run
    values = [getattr(run, name) for name in _GROUP_FIELDS]
    values[_GROUP_FIELDS.index("waiting_display")] = repr(sorted(run.waiting_display.items()))
    return (repr(sorted(item.updates.items())), _log_shape(item), *values)


def _write_group(items: list[Resumption]) -> None:
    first = items[0]
    state = {name: getattr(first.run, name) for name in _GROUP_FIELDS}
    if first.log_changed:
        state["step_log"] = first.run.step_log
    WorkflowRun.objects.filter(fastsql.ids_filter([item.run.pk for item in items])).update(
        data=jsonmerge.JsonSetKeys("data", first.updates) if first.updates else F("data"),
        seq=F("seq") + 1, updated_at=now(), **state,
    )


def _drop_missing_targets(batch: Prepared) -> list[Resumption]:
    """Set aside runs whose resume step this process does not know (a deploy while waiting):
    another process may know it; after the grace period the run fails."""
    kept = []
    for item in batch.ready:
        problem = deferred.unknown_code(item.run)
        if problem is None:
            kept.append(item)
        elif deferred.defer(item.run, item.updates, problem):
            batch.set_aside.append(item.run)
    return kept


def apply(batch: Prepared) -> int:
    """Fail the broken runs, advance every other prepared run past its wait, write the batch;
    returns how many runs were resumed."""
    fail_broken(batch)
    prepared = _drop_missing_targets(batch)
    rows = []
    for item in prepared:
        row = _advance(item.run)
        if row is not None:
            rows.append(row)
            item.log_changed = True
    groups: dict[tuple[Any, ...], list[Resumption]] = defaultdict(list)
    for item in prepared:
        if item.fast and jsonmerge.supported(connection, item.updates):
            groups[_state_key(item)].append(item)
        else:
            save_run(item.run)
    for items in groups.values():
        _write_group(items)
    if fastsql.bulk_supported():
        fastsql.insert_values(StepExecution, rows)
    else:
        StepExecution.objects.bulk_create([StepExecution(**row) for row in rows])
    dispatch_many([item.run for item in prepared])
    return len(prepared)
