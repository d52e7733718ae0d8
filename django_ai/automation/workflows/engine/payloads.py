"""Merging a signal's or event's payload into a run's Context, as every path does it: live
signals and events (``resuming``), signals kept for a later wait (``kept``) and payloads kept
during a rolling deploy (``deferred``) share the key rule and the checks."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import SignalPayloadError
from ..models import WorkflowRun
from ..specs import WorkflowSpec
from . import contextdata


def held_keys(spec: WorkflowSpec, payload: dict[str, Any]) -> dict[str, str]:
    """Payload keys the workflow's Context holds, mapped to the field each one sets."""
    accepted = contextdata.accepted_keys(spec.context_cls)
    if accepted is None:  # extra="allow": every key is kept
        return {key: key for key in payload}
    return {key: accepted[key] for key in payload if key in accepted}


def unheld_keys(spec: WorkflowSpec, payload: dict[str, Any]) -> list[str]:
    """Payload keys the workflow's Context does not declare (a run-targeted signal rejects them)."""
    return sorted(set(payload) - set(held_keys(spec, payload)))


def merged_context(spec: WorkflowSpec, data: dict[str, Any], payload: dict[str, Any],
                   held: dict[str, str] | None = None) -> BaseModel:
    """The Context of ``data`` with the payload's held keys merged in and validated.
    Raises pydantic's ``ValidationError``."""
    held = held_keys(spec, payload) if held is None else held
    return spec.context_cls.model_validate({**data, **{key: payload[key] for key in held}})


def updates_of(merged: dict[str, Any], held: dict[str, str]) -> dict[str, Any]:
    """The Context fields the payload set, as saved JSON."""
    return {name: merged[name] for name in held.values() if name in merged}


def payload_error(run: WorkflowRun, what: str, exc: ValidationError) -> SignalPayloadError:
    return SignalPayloadError(
        f"{what} payload does not fit run {run.pk} ({run.name}): {contextdata.describe(exc)}. "
        "No run was changed."
    )


def unheld_error(what: str, unheld: list[str], whom: str) -> SignalPayloadError:
    """A payload key no reached run's Context holds is a mistake (usually a typo): SPEC 3."""
    return SignalPayloadError(
        f"{what}: payload key(s) {', '.join(map(repr, unheld))} are not fields of "
        f"{whom}; nothing was changed. Check the spelling."
    )
