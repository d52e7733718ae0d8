"""Helpers for testing your own workflows fast and deterministically."""

from .time_machine import TimeMachine, time_machine

__all__ = ["TimeMachine", "time_machine"]
