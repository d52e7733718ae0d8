"""System checks for the workflows app (IDs ``django_ai.E0xx`` / ``W0xx``)."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Warning, register

from ...conf import DEFAULTS
from ...conf import ai_settings as _settings


@register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    try:
        _settings()
    except ValueError as exc:
        return [Error(str(exc), hint=f"Use only these keys: {', '.join(sorted(DEFAULTS))}.",
                      id="django_ai.E001")]
    return []


@register()
def check_workflow_traps(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Warn about waits whose answer and timeout meet, missing timeout steps, unreachable steps."""
    from . import registry
    from .management.lint import lint

    return [Warning(str(finding), obj=spec.cls, id=finding.id)
            for spec in registry.all_specs() for finding in lint(spec)]
