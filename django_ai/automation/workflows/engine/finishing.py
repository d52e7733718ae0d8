"""Ending a run: completion, the failure path with ``@on_fail``, and waking a waiting parent."""

from __future__ import annotations

import logging
import traceback

from django.db import transaction

from ....conf import ai_settings
from ..clock import now
from ..models import StepExecution, WaitKind, WorkflowRun, WorkflowStatus
from ..runtime import activate
from ..specs import WorkflowSpec
from . import kept
from .contextdata import dump_context, fingerprint
from .state import bump, clear_wait, enter_step, history, persist
from .storable import storable_text

logger = logging.getLogger("django_ai.workflows")


def cap(text: str) -> str:
    """``text`` fit for an error column: at most MAX_ERROR_LENGTH, NUL characters spelt out."""
    text = storable_text(text)
    limit = int(ai_settings()["MAX_ERROR_LENGTH"])
    return text if len(text) <= limit else text[: limit - 20] + "\n…[truncated]"


def error_text(exc: BaseException) -> str:
    detail = "".join(traceback.format_exception(exc))
    return cap(f"{type(exc).__name__}: {exc}\n\n{detail}")


def _finish(run: WorkflowRun, status: str) -> None:
    kept.discard(run, status)
    bump(run)
    clear_wait(run)
    run.status = status
    run.finished_at = now()


def complete_run(run: WorkflowRun, title: str | None, subtitle: str | None) -> None:
    row = history(run, StepExecution.Status.COMPLETED)
    _finish(run, WorkflowStatus.COMPLETED)
    run.progress = 1.0
    values = {"display_title": title, "display_subtitle": subtitle}
    run.completion_display = {key: value for key, value in values.items() if value is not None}
    persist(run, row)
    resume_parent(run)


def _run_on_fail(run: WorkflowRun, spec: WorkflowSpec) -> None:
    if spec.on_fail is None:
        return
    try:
        context = spec.context_cls.model_validate(run.data)
        instance = spec.cls()
        instance.context = context
        where = f"@on_fail handler {spec.on_fail!r} of workflow {spec.name!r}"
        with transaction.atomic(), activate(run, context, spec.on_fail):
            getattr(instance, spec.on_fail)(run)
            data = dump_context(context, where)  # inside: a bad Context rolls back its writes
    except Exception:
        logger.exception("@on_fail handler %s of run %s raised or left a Context that cannot be "
                         "saved; its changes are dropped and the run stays FAILED",
                         spec.on_fail, run.pk)
        return
    run.data = data
    run.context_fingerprint = fingerprint(spec.context_cls)


def fail_run(run: WorkflowRun, spec: WorkflowSpec | None, error: str) -> None:
    """Record the failed step, compensate, and mark the run FAILED with ``error``."""
    error = cap(error)
    history(run, StepExecution.Status.FAILED, error).save()
    if spec is not None:
        _run_on_fail(run, spec)
    _finish(run, WorkflowStatus.FAILED)
    run.error = error
    persist(run)
    resume_parent(run)


def resume_parent(child: WorkflowRun) -> None:
    """Wake the parent waiting on ``child`` (which just completed or failed)."""
    if child.parent_run_id is None:
        return
    parent = (
        WorkflowRun.objects.select_for_update()
        .filter(pk=child.parent_run_id, status=WorkflowStatus.SUSPENDED,
                wait_kind=WaitKind.SUBFLOW, active_child_id=child.pk)
        .first()
    )
    if parent is None:
        return
    from .. import registry

    spec = registry.find(parent.name)
    row = history(parent, StepExecution.Status.COMPLETED)
    if spec is None or parent.resume_step not in spec.steps:
        parent.current_step = parent.resume_step
        fail_run(parent, spec, f"on_complete step {parent.resume_step!r} no longer exists.")
        return
    enter_step(parent, spec, parent.resume_step)
    persist(parent, row)
