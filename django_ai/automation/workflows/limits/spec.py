"""``Limit``: how many runs may be at a step (or in a workflow) at once, and how often they
may enter it, optionally counted separately per value of a Context field."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ..errors import WorkflowDefinitionError

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(s|sec|second|m|min|minute|h|hour|d|day)s?\s*$")
_UNIT_SECONDS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60,
                 "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(text: str) -> tuple[int, float]:
    """``"60/m"``, ``"120/min"``, ``"10/s"``, ``"1000/h"``, ``"5/15m"`` → (calls, seconds)."""
    match = _RATE.match(text) if isinstance(text, str) else None
    if match is None or int(match.group(1)) < 1:
        raise ValueError(f"rate={text!r} is not a rate; write calls/period, e.g. '60/m', "
                         "'10/s', '1000/h' or '5/15m'.")
    multiple = int(match.group(2) or 1)
    return int(match.group(1)), float(multiple * _UNIT_SECONDS[match.group(3)])


@dataclass(frozen=True)
class Limit:
    """``Limit(concurrency=3, key="tenant_id")`` or ``Limit(rate="60/m", key="api_key")``.

    - ``concurrency``: at most this many runs hold the step (or, on ``@workflow``, are active)
      at once per key; the others wait in FIFO order.
    - ``rate``: entries are spaced so that at most ``calls`` start per ``period`` per key
      (``burst`` of them may start back to back).
    - ``key``: a Context field (dotted for nested objects); None counts all runs together.
    - ``name``: share one limit between several steps or workflows (default: per step).
    """

    concurrency: int | None = None
    rate: str | None = None
    key: str | None = None
    burst: int = 1
    name: str | None = None
    calls: int = field(init=False, default=0, repr=False)
    period: float = field(init=False, default=0.0, repr=False)

    def __post_init__(self) -> None:
        if self.concurrency is None and self.rate is None:
            raise WorkflowDefinitionError("Limit() needs concurrency=N, rate='N/period' or both.")
        if self.concurrency is not None and (
                not isinstance(self.concurrency, int) or self.concurrency < 1):
            raise WorkflowDefinitionError(
                f"Limit(concurrency={self.concurrency!r}) must be a positive integer.")
        if not isinstance(self.burst, int) or self.burst < 1:
            raise WorkflowDefinitionError(f"Limit(burst={self.burst!r}) must be at least 1.")
        if self.key is not None and (not isinstance(self.key, str) or not self.key):
            raise WorkflowDefinitionError(f"Limit(key={self.key!r}) must name a Context field.")
        if self.rate is not None:
            try:
                calls, period = parse_rate(self.rate)
            except ValueError as exc:
                raise WorkflowDefinitionError(f"Limit: {exc}")
            object.__setattr__(self, "calls", calls)
            object.__setattr__(self, "period", period)

    @property
    def interval(self) -> timedelta:
        """The spacing between two entries under the rate."""
        return timedelta(seconds=self.period / self.calls)

    def key_value(self, data: dict[str, Any]) -> str:
        """The key of a run with Context ``data`` ("" when unkeyed or the field is empty)."""
        if self.key is None:
            return ""
        value: Any = data
        for part in self.key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return "" if value is None else str(value)[:200]


@dataclass(frozen=True)
class BoundLimit:
    """A ``Limit`` placed on a step ("" for the workflow itself), with its scope name."""

    limit: Limit
    scope: str
    step: str


def bind(workflow: str, step: str, limit: Limit) -> BoundLimit:
    scope = limit.name or (f"{workflow}.{step}" if step else workflow)
    return BoundLimit(limit, scope[:200], step)


def check_key(context_cls: type, bound: BoundLimit, where: str) -> None:
    """The key must name a field of the Context (its first part, for a dotted key)."""
    key = bound.limit.key
    fields = getattr(context_cls, "model_fields", {})
    if key is not None and key.split(".")[0] not in fields:
        raise WorkflowDefinitionError(
            f"{where}: Limit(key={key!r}) is not a field of the Context "
            f"(fields: {', '.join(fields) or 'none'}).")
