"""Merging a signal's or event's payload into a run's Context, as every path does it."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ..errors import SignalPayloadError
from ..models import WorkflowRun
from ..specs import WorkflowSpec


def merge_payload(spec: WorkflowSpec, data: dict[str, Any],
                  payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the Context ``data`` with the payload's Context fields merged and validated, as JSON;
    those fields alone). Raises pydantic's ``ValidationError``."""
    fields = spec.context_cls.model_fields
    merged = spec.context_cls.model_validate(
        {**data, **{key: value for key, value in payload.items() if key in fields}}
    ).model_dump(mode="json")
    return merged, {key: merged[key] for key in payload if key in fields}


def payload_error(run: WorkflowRun, what: str, exc: ValidationError) -> SignalPayloadError:
    problems = "; ".join(
        f"field {'.'.join(str(p) for p in err['loc'])!r}: {err['msg']}" for err in exc.errors()
    )
    return SignalPayloadError(
        f"{what} payload does not fit run {run.pk} ({run.name}): {problems}. No run was changed."
    )
