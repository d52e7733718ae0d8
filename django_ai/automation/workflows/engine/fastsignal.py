"""A broadcast signal to thousands of runs on PostgreSQL, without a model instance per run.

``resuming`` loads each locked run as a model instance, validates the payload into each run's
Context, and builds each history row in Python: for 10,000 runs most of the call's time
(bench/README.md, "What is left"). Here each batch is locked as narrow tuples (the columns the
resumption reads), the payload is validated once per group of runs with the same workflow and
the same saved data (once per run when the Context's validation may depend on more than its
input: ``purity``), and each group of runs moving to the same state is written with one
statement that INSERTs their history rows from their own columns and UPDATEs them (the two
see the same snapshot, so the history rows read the values before the update).

The rows and history rows written are those ``resuming.apply`` writes for runs it groups (same
columns, same values). Every run that path would not group goes through it unchanged, loaded
as a full instance: a workflow or resume step this process does not know (rolling deploys), a
workflow with limits, a resume step that suspends on entry, a Context whose merge is not
``data | updates``. A payload that does not fit a run, or cannot be stored, sends the whole
batch through ``resuming`` too, which raises the same error as before.
Runs set aside during a rolling deploy (``deferred``) are not selected at all (``waking``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from operator import itemgetter
from typing import Any

from django.db import connection
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from pydantic import ValidationError

from .. import registry
from ..clock import now
from ..errors import UnstorableValueError
from ..limits.registry import HOOKS as LIMIT_HOOKS
from ..models import StepExecution, WaitKind, WorkflowRun, WorkflowStatus
from ..specs import WorkflowSpec
from . import contextdata, fastload, purity, resuming
from .payloads import held_keys, merged_context, updates_of
from .storable import check_storable

#: Off: every batch goes through ``resuming`` (tests compare both; benches alternate them).
ENABLED = True

_NARROW = ("id", "name", "current_step", "resume_step", "seq")
_HISTORY_ATTNAMES = frozenset({"run_id", "step_name", "status", "error", "attempt", "segments",
                               "created_at"})


def usable() -> bool:
    """PostgreSQL, and history rows with no column this module does not write."""
    return ENABLED and connection.vendor == "postgresql" and _history_known()


@cache
def _history_known() -> bool:
    return {f.attname for f in StepExecution._meta.concrete_fields
            if not f.primary_key} == _HISTORY_ATTNAMES


@dataclass
class Outcome:
    """What one call's batches did, summed (``waking.signal_runs`` checks the keys after)."""

    resumed: int = 0
    reached: int = 0
    held: set[str] = field(default_factory=set)
    set_aside: int = 0
    deliveries: list[tuple[int, str, int]] = field(default_factory=list)

    def add(self, prepared: resuming.Prepared, resumed: int) -> None:
        self.resumed += resumed
        self.reached += prepared.reached
        self.held |= prepared.held
        self.set_aside += len(prepared.set_aside)


def locked_batches(queryset: QuerySet[WorkflowRun],
                   size: int) -> Iterator[list[tuple[Any, ...]]]:
    """Yield the matching runs locked, in id order, ``size`` at a time, as narrow tuples:
    ``(id, name, current_step, resume_step, seq, data as JSON text)``."""
    return fastload.locked_batches(queryset, size, _narrow_rows, itemgetter(0))


def _narrow_rows(locked: QuerySet[WorkflowRun], size: int) -> list[tuple[Any, ...]]:
    return list(locked.values_list(*_NARROW, Cast("data", TextField()))[:size])


@dataclass
class _Plan:
    """A batch sorted: runs written here by group, run ids left to ``resuming``."""

    groups: dict[tuple[Any, ...], list[tuple[Any, ...]]] = field(
        default_factory=lambda: defaultdict(list))
    slow: list[int] = field(default_factory=list)
    reached: int = 0
    held: set[str] = field(default_factory=set)


def _target(spec: WorkflowSpec | None, name: str, current: str, resume: str) -> str | None:
    """The step the run resumes at when a grouped write can do it, else None."""
    if spec is None or spec.limits or name in LIMIT_HOOKS:
        return None
    step = spec.steps.get(resume)
    if step is None or (resume != current and step.suspends_on_entry):
        return None
    return resume


class _Misfit(Exception):
    """The payload does not fit some run, or cannot be stored: ``resuming`` says which."""


def _updates(spec: WorkflowSpec, data: dict[str, Any], payload: dict[str, Any],
             held: dict[str, str], what: str) -> dict[str, Any] | None:
    """The payload's updates for a run with saved ``data``; None when the merge is not
    ``data | updates`` (the run then goes through ``resuming``)."""
    try:
        merged = merged_context(spec, data, payload, held).model_dump(mode="json")
    except ValidationError as exc:
        raise _Misfit() from exc
    updates = updates_of(merged, held)
    if merged != {**data, **updates}:
        return None
    try:
        check_storable(updates, f"{what} payload")
    except UnstorableValueError as exc:
        raise _Misfit() from exc
    return updates


def _data(text: str) -> Any:
    """A run's saved Context from its JSON text, as the model field would decode it."""
    return WorkflowRun._meta.get_field("data").from_db_value(text, None, connection)


def _plan(rows: list[tuple[Any, ...]], payload: dict[str, Any], what: str) -> _Plan:
    plan = _Plan()
    by_data: dict[tuple[str, str], list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        spec = registry.find(row[1])
        if _target(spec, row[1], row[2], row[3]) is None:
            plan.slow.append(row[0])
        else:
            by_data[row[1], row[5]].append(row)
    for (name, text), members in by_data.items():
        spec = registry.get(name)
        held = held_keys(spec, payload)
        plan.reached += len(members)
        plan.held.update(held)
        if purity.pure(spec.context_cls):
            _group(plan, spec, members, _updates(spec, _data(text), payload, held, what))
        else:
            for row in members:
                _group(plan, spec, [row], _updates(spec, _data(row[5]), payload, held, what))
    return plan


def _group(plan: _Plan, spec: WorkflowSpec, members: list[tuple[Any, ...]],
           updates: dict[str, Any] | None) -> None:
    if updates is None:
        plan.reached -= len(members)  # counted again by ``resuming``
        plan.slow.extend(row[0] for row in members)
        return
    fingerprint = contextdata.fingerprint(spec.context_cls)
    shared = json.dumps(updates) if updates else None
    for row in members:
        advances = row[3] != row[2]
        plan.groups[shared, fingerprint, advances, row[3]].append(row)


@cache
def _sql(advances: bool, merges: bool) -> str:
    """The statement for one group: parameters (updated_at, [updates], fingerprint,
    [target step,] ids[, history status, created_at, ids])."""
    run = WorkflowRun._meta
    col = {f.attname: connection.ops.quote_name(f.column) for f in run.concrete_fields}
    sets = [f"{col['seq']} = {col['seq']} + 1", f"{col['updated_at']} = %s"]
    if merges:
        sets.append(f"{col['data']} = {col['data']} || %s::jsonb")
    sets += [f"{col['context_fingerprint']} = %s",
             f"{col['status']} = '{WorkflowStatus.RUNNING.value}'",
             f"{col['wait_kind']} = '{WaitKind.NONE.value}'", f"{col['waiting_for']} = ''",
             f"{col['wake_at']} = NULL", f"{col['on_timeout_step']} = ''",
             f"{col['resume_step']} = ''", f"{col['waiting_display']} = '{{}}'::jsonb"]
    if advances:  # the waiting step is over: the next one starts afresh (state.enter_step)
        sets += [f"{col['current_step']} = %s", f"{col['attempt']} = 0", f"{col['error']} = ''",
                 f"{col['step_log']} = '[]'::jsonb"]
    table = connection.ops.quote_name(run.db_table)
    update = f"UPDATE {table} SET {', '.join(sets)} WHERE {col['id']} = ANY(%s)"
    if not advances:
        return update
    hist = StepExecution._meta
    hcol = {f.attname: connection.ops.quote_name(f.column) for f in hist.concrete_fields}
    # The history row of the step that returned the wait (state.history_values).
    insert = (f"INSERT INTO {connection.ops.quote_name(hist.db_table)} ({hcol['run_id']}, "
              f"{hcol['step_name']}, {hcol['status']}, {hcol['error']}, {hcol['attempt']}, "
              f"{hcol['segments']}, {hcol['created_at']}) SELECT {col['id']}, "
              f"{col['current_step']}, %s, '', {col['attempt']} + 1, "
              f"coalesce({col['step_log']}, '[]'::jsonb), %s FROM {table} "
              f"WHERE {col['id']} = ANY(%s) ORDER BY {col['id']}")
    return f"WITH history AS ({insert}) {update}"


def _write(plan: _Plan, outcome: Outcome) -> None:
    updated_at = WorkflowRun._meta.get_field("updated_at").get_db_prep_save(now(), connection)
    # auto_now_add: the wall clock, as Model.save() and fastsql.insert_values write it.
    created_at = StepExecution._meta.get_field("created_at").get_db_prep_save(
        timezone.now(), connection)
    with connection.cursor() as cursor:
        for (shared, fingerprint, advances, target), members in plan.groups.items():
            ids = [row[0] for row in members]
            params: list[Any] = [StepExecution.Status.COMPLETED.value, created_at, ids] \
                if advances else []
            params += [updated_at, *([shared] if shared is not None else []), fingerprint]
            if advances:
                params.append(target)
            params.append(ids)
            cursor.execute(_sql(advances, shared is not None), params)
            outcome.deliveries.extend((row[0], target, row[4] + 1) for row in members)
            outcome.resumed += len(members)


def _through_resuming(ids: list[int], payload: dict[str, Any], what: str,
                      outcome: Outcome) -> None:
    """Today's path for these (already locked) runs, loaded as full instances."""
    if not ids:
        return
    runs = fastload.runs(WorkflowRun.objects.filter(pk__in=ids).order_by("pk"), len(ids))
    prepared = resuming.prepare(runs, payload, what, strict=True)
    outcome.add(prepared, resuming.apply(prepared))


def resume_batch(rows: list[tuple[Any, ...]], payload: dict[str, Any], what: str,
                 outcome: Outcome) -> None:
    """Resume one locked batch (``locked_batches``) with ``payload``; adds to ``outcome``."""
    try:
        plan = _plan(rows, payload, what)
    except _Misfit:  # resuming raises the error naming the first run that misfits
        _through_resuming([row[0] for row in rows], payload, what, outcome)
        return
    outcome.reached += plan.reached
    outcome.held |= plan.held
    _through_resuming(plan.slow, payload, what, outcome)
    _write(plan, outcome)
