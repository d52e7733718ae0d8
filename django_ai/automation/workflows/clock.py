"""The engine's clock. Every timer decision reads ``now()`` so ``time_machine`` can move it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.utils import timezone

_override: Callable[[], datetime] | None = None


def now() -> datetime:
    return _override() if _override is not None else timezone.now()


def set_override(source: Callable[[], datetime] | None) -> None:
    global _override
    _override = source


def current_override() -> Callable[[], datetime] | None:
    return _override
