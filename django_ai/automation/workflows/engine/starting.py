"""Creating runs: from ``engine.start``, from a parent's ``run_subflow``, from an event."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from .. import telemetry
from ..errors import ContextError, StartValidationError
from ..models import WaitKind, WorkflowRun, WorkflowStatus
from ..specs import WorkflowSpec
from . import fastsql
from .contextdata import dump_context, fingerprint
from .state import dispatch, dispatch_many, enter_step, wait_until

# Rows per INSERT in start_many: bounded so one statement stays a few MB at most.
INSERT_BATCH = 1000


def starting_user(user: Any) -> Any:
    """The user to record as ``started_by``: None for no user or an anonymous one."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if getattr(user, "pk", None) is None:
        raise ValueError(f"engine.start(started_by=...) takes a saved user, not {user!r}.")
    return user


def _bind_entity(run: WorkflowRun, context: BaseModel, parent: WorkflowRun | None) -> None:
    """A Context ``entity_id`` binds the run; otherwise a child inherits its parent's binding."""
    own = getattr(context, "entity_id", None) if "entity_id" in type(context).model_fields else None
    if own is not None:
        run.entity_id = str(own)
    elif parent is not None:
        run.entity_model, run.entity_id = parent.entity_model, parent.entity_id


def build_run(
    spec: WorkflowSpec,
    context: BaseModel,
    *,
    parent: WorkflowRun | None = None,
    start_at: datetime | None = None,
    entity: tuple[str, str] | None = None,
    trigger_event_id: int | None = None,
    started_by: Any = None,
    idempotency_key: str | None = None,
) -> WorkflowRun:
    """An unsaved run at its start step (or WAITING until ``start_at``).

    A child run is started by whoever started its parent.
    """
    run = WorkflowRun(
        name=spec.name, version=spec.version,
        data=dump_context(context, f"Workflow {spec.name!r}"),
        context_fingerprint=fingerprint(spec.context_cls),
        status=WorkflowStatus.RUNNING, current_step=spec.start_step, parent_run=parent,
        trigger_event_id=trigger_event_id, idempotency_key=idempotency_key or "",
    )
    if telemetry.ENABLED:
        run.trace_context = telemetry.current_context() or (
            parent.trace_context if parent is not None else {})
    if started_by is not None:
        run.started_by_id = started_by.pk
    elif parent is not None:
        run.started_by_id = parent.started_by_id
    if entity is not None:
        run.entity_model, run.entity_id = entity
    else:
        _bind_entity(run, context, parent)
    if start_at is not None:
        wait_until(run, WaitKind.START, start_at)
    else:
        enter_step(run, spec, spec.start_step)
    return run


def new_run(spec: WorkflowSpec, context: BaseModel, **options: Any) -> WorkflowRun:
    """Insert a run built by :func:`build_run` and hand it off after commit."""
    run = build_run(spec, context, **options)
    run.save()
    dispatch(run)
    return run


def build_contexts_of(spec: WorkflowSpec, kwargs_list: Iterable[dict[str, Any]]) -> list[BaseModel]:
    """Every Context of a ``start_many`` call, validated before anything is written."""
    contexts = []
    for index, kwargs in enumerate(kwargs_list):
        if not isinstance(kwargs, dict):
            raise TypeError(f"start_many({spec.name!r}, ...): item {index} is "
                            f"{type(kwargs).__name__}, not a dict of Context fields.")
        try:
            contexts.append(spec.build_context(**kwargs))
        except ContextError as exc:
            raise StartValidationError(spec.name, index, exc) from exc
    return contexts


def new_runs(spec: WorkflowSpec, contexts: list[BaseModel]) -> list[WorkflowRun]:
    """Insert a run per Context (``INSERT_BATCH`` rows a statement); hand off after commit."""
    runs = []
    for index, context in enumerate(contexts):  # all built (and checked storable) first
        try:
            runs.append(build_run(spec, context))
        except ContextError as exc:
            raise StartValidationError(spec.name, index, exc) from exc
    for first in range(0, len(runs), INSERT_BATCH):
        if fastsql.bulk_supported():
            fastsql.bulk_insert(runs[first:first + INSERT_BATCH])
        else:
            WorkflowRun.objects.bulk_create(runs[first:first + INSERT_BATCH])
    dispatch_many(runs)
    return runs
