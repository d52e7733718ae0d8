"""Plain-language descriptions of runs for the ``workflows`` management command."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from .. import registry
from ..models import WaitKind, WorkflowRun, WorkflowStatus

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_age(text: str) -> timedelta:
    """``"90s"``, ``"15m"``, ``"2h"``, ``"3d"`` or ``"1w"`` as a timedelta."""
    match = _AGE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not an age; write a number and a unit, e.g. 30s, 15m, "
                         "2h, 3d or 1w.")
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


def when(at: datetime | None, now: datetime | None = None) -> str:
    """``2026-01-02 10:00:00 UTC (in 5m)``: an absolute time and how far it is from now."""
    if at is None:
        return "-"
    now = now or timezone.now()
    delta = at - now
    relative = short_duration(abs(delta))
    relation = f"in {relative}" if delta.total_seconds() >= 0 else f"{relative} ago"
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC ({relation})"


def short_duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _timeout(run: WorkflowRun) -> str:
    if run.wake_at is None:
        return "no timeout"
    target = run.on_timeout_step or "the run fails"
    arrow = f"then step {target!r}" if run.on_timeout_step else f"then {target}"
    return f"times out {when(run.wake_at)}, {arrow}"


def _action_name(run: WorkflowRun) -> str:
    spec = registry.find(run.name)
    step = spec.step(run.current_step) if spec is not None else None
    return step.action.name if step is not None and step.action is not None else "?"


def _limit_wait(run: WorkflowRun) -> str:
    info = (run.waiting_display or {}).get("limit_wait") or {}
    key = f" for key {info['key']!r}" if info.get("key") else ""
    since = when(datetime.fromisoformat(info["since"])) if info.get("since") else "-"
    if run.wait_kind == WaitKind.LIMIT:
        return (f"Waiting for capacity at step {run.current_step!r}: limit "
                f"{info.get('limit', run.waiting_for)!r}{key} allows {info.get('capacity', '?')} "
                f"at once; queued since {since}, served first come, first served.")
    return (f"Spaced out by rate limit {info.get('limit', run.waiting_for)!r}{key} "
            f"({info.get('rate', '?')}) since {since}; step {run.current_step!r} starts "
            f"{when(run.wake_at)}.")


def why_waiting(run: WorkflowRun) -> str:
    """One sentence saying what the run is waiting for and until when."""
    kind = run.wait_kind
    if run.status == WorkflowStatus.RUNNING:
        return "Not waiting: the step is queued or running now."
    if run.status not in (WorkflowStatus.WAITING, WorkflowStatus.SUSPENDED):
        return f"Not waiting: the run is {run.status}."
    if kind == WaitKind.SLEEP:
        return f"Sleeping; step {run.current_step!r} runs again {when(run.wake_at)}."
    if kind == WaitKind.RETRY:
        return (f"Step {run.current_step!r} failed attempt {run.attempt}; the next attempt "
                f"is {when(run.wake_at)}.")
    if kind == WaitKind.CODE:
        return (f"Handed back: a process did not know step {run.current_step!r} of "
                f"{run.name!r} (rolling deploy?); tried again {when(run.wake_at)}.")
    if kind == WaitKind.START:
        return f"Planned to start {when(run.wake_at)}."
    if kind == WaitKind.SIGNAL:
        return f"Waiting for signal {run.waiting_for!r}; {_timeout(run)}."
    if kind == WaitKind.EVENT:
        bound = (f" for entity {run.entity_model or '*'}:{run.entity_id}" if run.entity_id
                 else " (any entity)")
        return f"Waiting for event {run.waiting_for!r}{bound}; {_timeout(run)}."
    if kind == WaitKind.ACTION:
        return (f"Waiting for a person to submit action {_action_name(run)!r} "
                f"(step {run.current_step!r}).")
    if kind in (WaitKind.LIMIT, WaitKind.RATE):
        return _limit_wait(run)
    if kind == WaitKind.SUBFLOW:
        child = run.active_child
        state = f"run {child.pk} ({child.name}, {child.status})" if child else "a child run"
        return f"Waiting for subworkflow {state} to finish."
    return f"{run.status} ({kind or 'no wait kind recorded'})."


def problems_in_flight(run: WorkflowRun) -> list[str]:
    """Why an unfinished run can no longer proceed with the workflows registered now."""
    found = []
    if run.unknown_code_since is not None:
        found.append(f"run {run.pk} ({run.name}): handed back since "
                     f"{when(run.unknown_code_since)}: {(run.error.splitlines() or [''])[0]}")
    spec = registry.find(run.name)
    if spec is None:
        return [*found, f"run {run.pk}: workflow {run.name!r} is not registered any more"]
    if run.wait_kind != WaitKind.START and run.current_step not in spec.steps:
        found.append(f"run {run.pk} ({run.name}): at step {run.current_step!r}, which the "
                     "workflow no longer has")
    for label, step in (("timeout step", run.on_timeout_step), ("resume step", run.resume_step)):
        if step and step not in spec.steps:
            found.append(f"run {run.pk} ({run.name}): its {label} {step!r} no longer exists")
    return found


def stranded_parents(runs: list[WorkflowRun]) -> list[str]:
    """Parents among ``runs`` waiting on a child that no longer exists or that finished without
    waking them (one query for the whole batch). Nothing but an operator can move them on."""
    waiting = [run for run in runs
               if run.status == WorkflowStatus.SUSPENDED and run.wait_kind == WaitKind.SUBFLOW]
    ids = [run.active_child_id for run in waiting if run.active_child_id is not None]
    children = dict(WorkflowRun.objects.filter(pk__in=ids).values_list("pk", "status"))
    found = []
    for parent in waiting:
        child_id = parent.active_child_id
        status = children.get(child_id)
        if child_id is None or status is None:
            problem = "the subworkflow run it waits for no longer exists"
        elif status in (WorkflowStatus.COMPLETED, WorkflowStatus.FAILED, WorkflowStatus.CANCELLED):
            problem = f"it waits for subworkflow run {child_id}, which is {status} already"
        else:
            continue
        found.append(f"run {parent.pk} ({parent.name}): stranded, {problem}; cancel it "
                     f"(workflows cancel {parent.pk})")
    return found
