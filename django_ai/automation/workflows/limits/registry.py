"""Which registered workflows declare limits: ``state.dispatch`` looks a run's name up here,
so a workflow without limits pays one dict lookup per transition and no query."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: workflow name → the admission hook, for workflows with at least one Limit.
HOOKS: dict[str, Callable[[Any], None]] = {}
