"""The ``Retry`` policy: how often a step is attempted and how long to wait between attempts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Retry:
    """Retry policy for a step. ``max_attempts`` counts the first attempt (1 = no retry)."""

    max_attempts: int = 3
    base_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(minutes=5)
    backoff_factor: float = 2.0

    def __post_init__(self) -> None:
        if not isinstance(self.max_attempts, int) or self.max_attempts < 1:
            raise ValueError(f"Retry(max_attempts={self.max_attempts!r}): must be an int >= 1.")
        for name in ("base_delay", "max_delay"):
            value = getattr(self, name)
            if not isinstance(value, timedelta):
                raise ValueError(f"Retry({name}={value!r}): must be a datetime.timedelta.")
            if value < timedelta(0):
                raise ValueError(f"Retry({name}={value!r}): must not be negative.")
        if self.backoff_factor < 1:
            raise ValueError(f"Retry(backoff_factor={self.backoff_factor!r}): must be >= 1.")

    def delay_before_retry(self, retry_number: int) -> timedelta:
        """Wait before the ``retry_number``-th retry (1 = the wait after the first failure)."""
        seconds = self.base_delay.total_seconds() * self.backoff_factor ** (retry_number - 1)
        return min(timedelta(seconds=seconds), self.max_delay)
