"""``@statezero_action``: make a step an action that a user submits through an endpoint."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .declarations import ACTION_MARK


@dataclass(frozen=True)
class ActionSpec:
    name: str
    serializer: type
    response_serializer: type | None = None
    permissions: Sequence[Any] | None = None


def statezero_action(
    name: str,
    serializer: type,
    response_serializer: type | None = None,
    permissions: Sequence[Any] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Expose the step below as action ``name``; reaching the step suspends the run."""
    if not isinstance(name, str) or not name:
        raise ValueError("@statezero_action(name=...) needs a non-empty action name.")
    spec = ActionSpec(name, serializer, response_serializer, permissions)

    def mark(func: Callable[..., Any]) -> Callable[..., Any]:
        setattr(func, ACTION_MARK, spec)
        return func

    return mark


__all__ = ["ActionSpec", "statezero_action"]
