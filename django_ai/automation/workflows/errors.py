"""Exceptions raised by the workflows package. Each docstring is its default message."""

from __future__ import annotations


class WorkflowError(Exception):
    """A workflow operation could not be carried out."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())


class WorkflowDefinitionError(WorkflowError):
    """A workflow class is declared in a way that cannot work."""


class UnknownWorkflowError(WorkflowError, LookupError):
    """No workflow is registered under that name."""


class StepResultError(WorkflowError):
    """A step returned something the engine cannot act on."""


class NoActiveStepError(WorkflowError, RuntimeError):
    """get_context() was called outside a running step; call it from inside a @step,
    an @on_fail handler or an action step."""


class SignalPayloadError(WorkflowError, ValueError):
    """A signal's payload does not fit the Context of a run it would resume."""


class RunStateError(WorkflowError):
    """The run is not in a state that allows this operation."""


class ActionFailedError(WorkflowError):
    """An action step raised; nothing it did was kept and the run still waits at the step."""


class ContextError(WorkflowError, ValueError):
    """Values do not fit the workflow's Context."""


class UnstorableValueError(ContextError):
    """A value cannot be stored in the database: a non-finite float, a NUL character (on
    PostgreSQL) or an integer too long to write as JSON."""
