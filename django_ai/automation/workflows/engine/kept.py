"""Early signals: a signal sent to one run before that run waits for it is kept with the run
(``WorkflowRun.kept_signals``) and consumed by the run's next ``wait.for_signal`` of that name.

The signal takes the run's row lock, so it is serialized with the step executing: either the
step commits its wait first (the signal then resumes the run as usual) or the signal is kept
first (the wait then finds it and moves on at once, in the same transaction).
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError

from .. import registry
from ..clock import now
from ..errors import ContextError, SignalPayloadError, UnstorableValueError
from ..models import StepExecution, WorkflowRun
from ..specs import StepSpec, WorkflowSpec
from .contextdata import dump_context, fingerprint
from .payloads import (
    held_keys,
    merged_context,
    payload_error,
    unheld_error,
    unheld_keys,
    updates_of,
)
from .state import dispatch, enter_step, history, persist
from .storable import check_storable

logger = logging.getLogger("django_ai.workflows")


class SignalOutcome(int):
    """What ``engine.signal`` returns: the number of runs resumed (an ``int``, as before), and
    ``kept``: how many runs kept the signal for a later wait (0 or 1; only ``run_id=`` keeps)."""

    kept: int

    def __new__(cls, resumed: int = 0, kept: int = 0) -> SignalOutcome:
        outcome = super().__new__(cls, resumed)
        outcome.kept = kept
        return outcome

    @property
    def resumed(self) -> int:
        return int(self)

    # Shown as the plain count (a shell session prints ``1``, as it always did).
    __repr__ = __str__ = int.__repr__


def checked_updates(run: WorkflowRun, spec: WorkflowSpec, name: str,
                    payload: dict[str, Any]) -> dict[str, Any]:
    """The Context fields ``payload`` sets, checked as a live signal to this one run is: every
    key declared by the Context, the merge valid, the values storable. Raises
    ``SignalPayloadError``; nothing is kept then."""
    what = f"Signal {name!r}"
    unheld = unheld_keys(spec, payload)
    if unheld:
        raise unheld_error(what, unheld, f"run {run.pk}'s Context")
    held = held_keys(spec, payload)
    try:
        updates = updates_of(merged_context(spec, run.data, payload, held).model_dump(mode="json"),
                             held)
        check_storable(updates, f"{what} payload for run {run.pk} ({run.name})")
    except ValidationError as exc:
        raise payload_error(run, what, exc)
    except UnstorableValueError as exc:
        raise SignalPayloadError(f"{exc} No run was changed.")
    return updates


def keep(run: WorkflowRun, name: str, payload: dict[str, Any]) -> None:
    """Check ``payload`` against the run's Context now and keep it (the run is locked)."""
    spec = registry.find(run.name)
    if spec is None:  # a rolling deploy: the process that takes the signal checks it
        logger.warning("Run %s: signal %r kept without validation: workflow %r is not "
                       "registered in this process", run.pk, name, run.name)
        updates = payload
    else:
        updates = checked_updates(run, spec, name, payload)
    run.kept_signals = [*run.kept_signals,
                        {"name": name, "payload": updates, "kept_at": now().isoformat()}]
    # updated_at is left alone: it tells recovery how long a RUNNING run went untouched.
    WorkflowRun.objects.filter(pk=run.pk).update(kept_signals=run.kept_signals)
    # A delivery or timer task that met the row locked by this call skipped it: send it again
    # (a duplicate is harmless, the run's seq tells the stale one).
    dispatch(run)


def _take(run: WorkflowRun, name: str) -> dict[str, Any] | None:
    for index, item in enumerate(run.kept_signals):
        if item.get("name") == name:
            run.kept_signals = run.kept_signals[:index] + run.kept_signals[index + 1:]
            return item
    return None


def discard_row(run: WorkflowRun, item: dict[str, Any], why: str) -> StepExecution:
    logger.info("Run %s (%s): kept signal %r discarded: %s", run.pk, run.name, item.get("name"),
                why)
    return StepExecution(
        run=run, step_name=run.current_step, status=StepExecution.Status.SIGNAL_DISCARDED,
        error=(f"Kept signal {item.get('name')!r} (kept at {item.get('kept_at')}, payload "
               f"{item.get('payload')!r}) discarded: {why}"),
        created_at=now(),
    )


def consume(run: WorkflowRun, spec: WorkflowSpec, step: StepSpec, name: str) -> bool:
    """At a returned ``wait.for_signal(name)``: if a signal of that name was kept, merge it and
    go straight to the step after the wait (no suspension). False when none was kept."""
    rows = []
    while (item := _take(run, name)) is not None:
        why = _merge_kept(run, spec, step, item.get("payload") or {})
        if why:  # the step changed the Context since the signal came, say
            rows.append(discard_row(run, item, why))
            continue
        rows.append(history(run, StepExecution.Status.COMPLETED))
        enter_step(run, spec, spec.step_after(step.name) or "")
        persist(run, *rows)
        return True
    if rows:
        StepExecution.objects.bulk_create(rows)
    return False


def _merge_kept(run: WorkflowRun, spec: WorkflowSpec, step: StepSpec,
                payload: dict[str, Any]) -> str:
    """Merge a kept payload into ``run.data`` as a live signal's is (held keys, validated, dumped
    with ``dump_context``, fingerprint written); why it cannot be, or "" when merged."""
    unheld = unheld_keys(spec, payload)  # only a payload kept unvalidated (rolling deploy)
    if unheld:
        return f"payload key(s) {', '.join(map(repr, unheld))} are not fields of its Context."
    where = f"Signal kept for step {step.name!r} of workflow {spec.name!r}"
    try:
        data = dump_context(merged_context(spec, run.data, payload), where)
    except ValidationError as exc:
        return f"its payload no longer fits: {exc}"
    except ContextError as exc:
        return str(exc)
    run.data = data
    run.context_fingerprint = fingerprint(spec.context_cls)
    return ""


def discard(run: WorkflowRun, outcome: str) -> None:
    """The run is ending (``outcome``: completed, failed, cancelled): drop and record what it
    kept. Costs nothing for a run that kept no signal."""
    if not run.kept_signals:
        return
    why = f"the run {outcome} without waiting for it."
    StepExecution.objects.bulk_create([discard_row(run, item, why) for item in run.kept_signals])
    run.kept_signals = []
