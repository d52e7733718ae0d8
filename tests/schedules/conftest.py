"""Scheduled workflows are declared per test and forgotten after it: a code schedule in the
registry would otherwise start runs in every other test that moves the clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from django_ai.automation.workflows import registry
from django_ai.automation.workflows.core import Schedule, complete, step, wait, workflow


def declare(name: str, *schedules: Schedule, waits: bool = False) -> type:
    @workflow(name, schedules=list(schedules))
    class Scheduled:
        class Context(BaseModel):
            note: str = ""

        @step(start=True)
        def go(self):
            return wait.for_signal(f"{name}-done") if waits else complete()

        @step()
        def after(self):
            return complete()

    return Scheduled


@pytest.fixture
def scheduled() -> Iterator[Callable[..., Any]]:
    names: list[str] = []

    def make(name: str, *schedules: Schedule, waits: bool = False) -> type:
        names.append(name)
        return declare(name, *schedules, waits=waits)

    yield make
    for name in names:
        registry.unregister(name)
