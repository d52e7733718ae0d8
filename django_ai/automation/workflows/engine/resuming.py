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
from ..errors import SignalPayloadError
from ..models import StepExecution, WorkflowRun
from ..specs import WorkflowSpec
from . import jsonmerge
from .finishing import fail_run
from .state import dispatch, enter_step, history, make_runnable, save_run

logger = logging.getLogger("django_ai.workflows")

_GROUP_FIELDS = ("status", "current_step", "attempt", "wait_kind", "waiting_for", "wake_at",
                 "on_timeout_step", "resume_step", "waiting_display", "error")


@dataclass
class Resumption:
    run: WorkflowRun
    updates: dict[str, Any]  # the payload's Context fields, as JSON
    fast: bool  # the merged Context is exactly data | updates: SQL can merge it
    log_changed: bool = False  # a history row took the step log (and a new wait may be in it)


def _merge(run: WorkflowRun, spec: WorkflowSpec, payload: dict[str, Any]) -> Resumption:
    fields = spec.context_cls.model_fields
    merged = spec.context_cls.model_validate(
        {**run.data, **{key: value for key, value in payload.items() if key in fields}}
    ).model_dump(mode="json")
    updates = {key: merged[key] for key in payload if key in fields}
    fast = merged == {**run.data, **updates}
    run.data = merged
    return Resumption(run, updates, fast)


def _payload_error(run: WorkflowRun, what: str, exc: ValidationError) -> SignalPayloadError:
    problems = "; ".join(
        f"field {'.'.join(str(p) for p in err['loc'])!r}: {err['msg']}" for err in exc.errors()
    )
    return SignalPayloadError(
        f"{what} payload does not fit run {run.pk} ({run.name}): {problems}. No run was changed."
    )


def prepare(runs: Iterable[WorkflowRun], payload: dict[str, Any], what: str,
            strict: bool) -> list[Resumption]:
    """Validate the payload against every run. Strict: any misfit raises; else it is skipped."""
    prepared = []
    for run in runs:
        spec = registry.find(run.name)
        if spec is None:
            logger.error("%s cannot resume run %s: workflow %r is not registered",
                         what, run.pk, run.name)
            continue
        try:
            prepared.append(_merge(run, spec, payload))
        except ValidationError as exc:
            error = _payload_error(run, what, exc)
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
    WorkflowRun.objects.filter(pk__in=[item.run.pk for item in items]).update(
        data=jsonmerge.JsonSetKeys("data", first.updates) if first.updates else F("data"),
        seq=F("seq") + 1, updated_at=now(), **state,
    )


def _drop_missing_targets(prepared: list[Resumption]) -> list[Resumption]:
    """Fail runs whose resume step was removed from the workflow (a deploy while waiting)."""
    kept = []
    for item in prepared:
        run = item.run
        if run.resume_step in registry.get(run.name).steps:
            kept.append(item)
        else:
            fail_run(run, registry.get(run.name),
                     f"Cannot resume at step {run.resume_step!r}: the workflow no longer has it.")
    return kept


def apply(prepared: list[Resumption]) -> None:
    """Advance every prepared run past its wait and write the batch."""
    prepared = _drop_missing_targets(prepared)
    rows = []
    for item in prepared:
        row = _advance(item.run)
        if row is not None:
            rows.append(row)
            item.log_changed = True
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
