"""The public workflow API. This module only re-exports; ``tests/test_public_api.py`` pins it."""

from __future__ import annotations

from .declarations import on_fail, step
from .decorators import event_workflow, workflow
from .engine import engine
from .limits.spec import Limit
from .results import (
    SubflowResult,
    complete,
    fail,
    goto,
    run_subflow,
    sleep,
    wait,
    wait_for_event,
)
from .retry import Retry
from .runtime import get_context
from .scheduling.declare import Schedule

# For async views: ``run = await astart("name", ...)`` (the same as ``await engine.astart``).
astart = engine.astart
asignal = engine.asignal
acancel = engine.acancel
asubmit_action = engine.asubmit_action

__all__ = [
    "Limit",
    "Retry",
    "Schedule",
    "SubflowResult",
    "acancel",
    "asignal",
    "astart",
    "asubmit_action",
    "complete",
    "engine",
    "event_workflow",
    "fail",
    "get_context",
    "goto",
    "on_fail",
    "run_subflow",
    "sleep",
    "step",
    "wait",
    "wait_for_event",
    "workflow",
]
