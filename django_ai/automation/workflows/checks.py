"""System checks for the workflows app (IDs ``django_ai.E0xx`` / ``W0xx``)."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register

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
                      id="django_ai.E040")]
    except Exception:  # unknown keys: E001 reports those
        return []
    if value is not None and value.total_seconds() <= 0:
        return [Error("DJANGO_AI['RETENTION'] must be positive.", hint='For example "30d".',
                      id="django_ai.E040")]
    return []
