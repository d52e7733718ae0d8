"""System checks for the workflows app (IDs ``django_ai.E0xx`` / ``W0xx``)."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Warning, register

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
def check_retention(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """``RETENTION`` must be an age the periodic task can use (else every tick would fail)."""
    from .observe.retention import parse_retention

    try:
        value = parse_retention(_settings()["RETENTION"])
    except (ValueError, TypeError) as exc:
        return [Error(f"DJANGO_AI['RETENTION']: {exc}",
                      hint='Use a timedelta, a number of seconds, or an age such as "30d".',
                      id="django_ai.E070")]
    except Exception:  # unknown keys: E001 reports those
        return []
    if value is not None and value.total_seconds() <= 0:
        return [Error("DJANGO_AI['RETENTION'] must be positive.", hint='For example "30d".',
                      id="django_ai.E070")]
    return []
#: Keyword-only options of ``engine.start``: never passed on to the Context.
RESERVED_START_OPTIONS = ("idempotency_key", "started_by")


@register()
def check_reserved_context_fields(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from . import registry

    found: list[CheckMessage] = []
    for spec in sorted(registry.all_specs(), key=lambda spec: spec.name):
        for name in RESERVED_START_OPTIONS:
            if name in spec.context_cls.model_fields:
                found.append(Warning(
                    f"Workflow {spec.name!r}: Context field {name!r} cannot be set through "
                    f"engine.start(), which takes {name}= as its own option.",
                    hint="Rename the field, or fill it in create_context or a step.",
                    id="django_ai.W040"))
    return found


@register()
def check_api_start(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from . import registry

    try:
        served = _settings()["API_START"] or {}
    except ValueError:
        return []  # reported by E001
    if not isinstance(served, dict):
        return [Error('DJANGO_AI["API_START"] must be a dict of workflow name to a list of '
                      "permission classes.", id="django_ai.E040")]
    return [Error(f'DJANGO_AI["API_START"] names workflow {name!r}, which is not registered.',
                  hint="Use a registered workflow name (see manage.py workflows check).",
                  id="django_ai.E041")
            for name in sorted(served) if registry.find(name) is None]


@register()
def check_workflow_traps(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn about waits whose answer and timeout meet, missing timeout steps, unreachable steps."""
    from . import registry
    from .management.lint import lint

    return [Warning(str(finding), obj=spec.cls, id=finding.id)
            for spec in registry.all_specs() for finding in lint(spec)]
