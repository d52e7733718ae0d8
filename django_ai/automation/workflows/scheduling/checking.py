"""What ``workflows check`` (and the admin) say about a schedule that cannot start its runs."""

from __future__ import annotations

from typing import Any

from .. import registry
from ..errors import WorkflowError
from .models import Schedule
from .sync import declared


def kwargs_problems(workflow: str, kwargs: Any) -> list[str]:
    spec = registry.find(workflow)
    if spec is None:
        return [f"workflow {workflow!r} is not registered"]
    if not isinstance(kwargs, dict):
        return [f"kwargs must be a JSON object, not {type(kwargs).__name__}"]
    found = []
    try:
        spec.build_context(**kwargs)
    except (TypeError, ValueError, WorkflowError) as exc:  # ContextError names the field
        # ContextError speaks of a start ("Nothing was created."); a check creates nothing.
        found.append(f"kwargs do not build the Context: {exc}".replace(" Nothing was created.",
                                                                         ""))
    return found


def row_problems(row: Schedule) -> list[str]:
    return [*row.problems(), *kwargs_problems(row.workflow, row.kwargs)]


def schedule_problems() -> list[str]:
    """Problems of every schedule row and every schedule declared in code."""
    found = []
    code = declared()
    for name, (workflow, item) in sorted(code.items()):
        found += [f"schedule {name!r}: {text}" for text in kwargs_problems(workflow, item.kwargs)]
    for row in Schedule.objects.order_by("name"):
        if row.from_code and row.name not in code:
            found.append(f"schedule {row.name!r}: declared in code no longer (delete the row "
                         "once no deployed version declares it)")
            continue
        if row.from_code:
            continue  # checked above from the declaration
        found += [f"schedule {row.name!r}: {text}" for text in row_problems(row)]
    return found
