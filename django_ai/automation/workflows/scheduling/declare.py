"""``Schedule``: a calendar declared in code on ``@workflow(..., schedules=[...])``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ..errors import WorkflowDefinitionError
from .timing import definition_problems

OVERLAP_POLICIES = ("skip", "allow", "cancel_previous")
CATCH_UP_POLICIES = ("latest", "all")


@dataclass(frozen=True)
class Schedule:
    """Start the workflow at every due time of ``cron`` (in ``timezone``) or ``every`` interval.

    - ``kwargs``: passed to the workflow's ``create_context`` (or its Context) on every start.
    - ``overlap``: ``"skip"`` (default: no start while a run of this schedule is active),
      ``"allow"``, or ``"cancel_previous"``.
    - ``catch_up``: after downtime, ``"latest"`` (default) starts only the most recent missed
      time; ``"all"`` starts each missed time, at most ``catch_up_limit`` of the newest.
    - ``name``: unique within the workflow (default: the position in the list).
    """

    cron: str | None = None
    every: timedelta | None = None
    timezone: str = "UTC"
    kwargs: dict[str, Any] = field(default_factory=dict)
    overlap: str = "skip"
    catch_up: str = "latest"
    catch_up_limit: int = 10
    name: str | None = None

    @property
    def every_seconds(self) -> int | None:
        return int(self.every.total_seconds()) if self.every is not None else None

    def problems(self) -> list[str]:
        found = definition_problems(self.cron, self.every_seconds, self.timezone)
        if self.every is not None and not isinstance(self.every, timedelta):
            found.append(f"every={self.every!r} must be a timedelta")
        if self.overlap not in OVERLAP_POLICIES:
            found.append(f"overlap={self.overlap!r} must be one of {', '.join(OVERLAP_POLICIES)}")
        if self.catch_up not in CATCH_UP_POLICIES:
            found.append(f"catch_up={self.catch_up!r} must be 'latest' or 'all'")
        if not isinstance(self.catch_up_limit, int) or self.catch_up_limit < 1:
            found.append(f"catch_up_limit={self.catch_up_limit!r} must be at least 1")
        if not isinstance(self.kwargs, dict):
            found.append(f"kwargs={self.kwargs!r} must be a dict")
        return found


def attach_schedules(spec: Any, schedules: Any) -> None:
    """Validate ``schedules`` and record them on the spec as (row name, Schedule) pairs."""
    if isinstance(schedules, Schedule):
        schedules = [schedules]
    named: list[tuple[str, Schedule]] = []
    for index, item in enumerate(schedules or ()):
        if not isinstance(item, Schedule):
            raise WorkflowDefinitionError(
                f"Workflow {spec.name!r}: schedules=[...] takes Schedule objects, not {item!r}.")
        problems = item.problems()
        if problems:
            raise WorkflowDefinitionError(
                f"Workflow {spec.name!r}, schedule {item.name or index}: {'; '.join(problems)}.")
        named.append((f"{spec.name}:{item.name or index}"[:200], item))
    if len({name for name, _ in named}) != len(named):
        raise WorkflowDefinitionError(f"Workflow {spec.name!r}: two schedules share a name.")
    spec.schedules = named
