"""Events: model-declared and emitted occurrences that start and wake workflows.

Public names: :class:`EventDefinition` (declared in a model's ``events = [...]``) and
:func:`emit` (make an event occur from code).
"""

from __future__ import annotations

from .api import emit
from .definitions import EventDefinition

__all__ = ["EventDefinition", "emit"]
