"""Declaration errors are raised at decoration time with messages that say the fix."""

from datetime import timedelta

import pytest
from pydantic import BaseModel

from django_ai.automation.workflows import core, registry
from django_ai.automation.workflows.core import Retry, goto, on_fail, step, workflow
from django_ai.automation.workflows.errors import WorkflowDefinitionError


@pytest.fixture(autouse=True)
def _forget_throwaway_workflows():
    yield
    for name in ("decl_tmp", "decl_bad"):
        registry.unregister(name)


def test_public_names_are_pinned():
    assert sorted(core.__all__) == sorted([
        "workflow", "event_workflow", "step", "on_fail", "Retry", "get_context", "goto",
        "complete", "fail", "sleep", "wait", "wait_for_event", "run_subflow", "SubflowResult",
        "engine", "astart", "asignal", "acancel", "asubmit_action", "Limit", "Schedule",
    ])
    for name in core.__all__:
        assert getattr(core, name) is not None


def test_other_public_import_paths():
    from django_ai.automation.testing import time_machine  # noqa: F401
    from django_ai.automation.workflows.metadata import (  # noqa: F401
        FieldDisplayConfig,
        FieldGroup,
        StepDisplayMetadata,
    )
    from django_ai.automation.workflows.models import (  # noqa: F401
        StepExecution,
        WorkflowRun,
        WorkflowStatus,
    )
    from django_ai.automation.workflows.statezero_action import statezero_action  # noqa: F401


def test_two_on_fail_handlers():
    with pytest.raises(WorkflowDefinitionError, match="several @on_fail handlers"):
        @workflow("decl_bad")
        class BadWorkflow:
            @on_fail
            def cleanup1(self, run): ...

            @on_fail
            def cleanup2(self, run): ...


def test_missing_or_non_pydantic_context():
    with pytest.raises(WorkflowDefinitionError, match=r"'decl_bad'.*class Context"):
        @workflow("decl_bad")
        class NoContext:
            @step(start=True)
            def go(self): ...

    with pytest.raises(WorkflowDefinitionError, match="class Context"):
        @workflow("decl_bad")
        class PlainContext:
            class Context:
                pass

            @step(start=True)
            def go(self): ...


@pytest.mark.parametrize("starts", [0, 2])
def test_start_step_count(starts):
    with pytest.raises(WorkflowDefinitionError, match=r"exactly one @step\(start=True\)"):
        @workflow("decl_bad")
        class Starts:
            class Context(BaseModel):
                pass

            @step(start=starts >= 1)
            def one(self): ...

            @step(start=starts >= 2)
            def two(self): ...


def _declare(name: str):
    @workflow(name)
    class Tmp:
        class Context(BaseModel):
            pass

        @step(start=True)
        def go(self):
            return goto(self.go)

    return Tmp


def test_redeclaring_same_class_replaces_but_other_class_is_refused():
    first = _declare("decl_tmp")
    second = _declare("decl_tmp")  # same module and qualified name: a reload
    assert registry.get("decl_tmp").cls is second and first is not second
    with pytest.raises(WorkflowDefinitionError, match="already taken"):
        @workflow("decl_tmp")
        class Intruder:
            class Context(BaseModel):
                pass

            @step(start=True)
            def go(self): ...


@pytest.mark.parametrize(("kwargs", "argument"), [
    ({"max_attempts": 0}, "max_attempts"),
    ({"base_delay": timedelta(seconds=-1)}, "base_delay"),
    ({"max_delay": timedelta(seconds=-5)}, "max_delay"),
    ({"backoff_factor": 0.5}, "backoff_factor"),
])
def test_retry_rejects_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        Retry(**kwargs)


def test_goto_rejects_progress_out_of_range():
    with pytest.raises(ValueError, match="progress"):
        goto("x", progress=1.5)


def test_on_fail_cannot_be_a_step():
    with pytest.raises(TypeError, match="must not also be a @step"):
        on_fail(step()(lambda self: None))
