"""Short ways to ``Field.get_db_prep_save`` for the values a transition writes (PostgreSQL).

A transition's write sends about thirty values, each through its field's ``get_db_prep_save``
(``get_prep_value``, ``to_python``, the backend's adapter): a tenth of the engine's own Python
per transition. For Django's own field classes (not subclasses, which may convert otherwise)
and the plain values the engine stores, the result is known without the walk:

- text fields: a ``str`` (a ``TextChoices`` member too) or None is returned unchanged;
- integer fields: an ``int`` goes to ``ops.adapt_integerfield_value`` (``int(value)`` is it);
- ``DateTimeField`` without ``auto_now``: None, or an aware ``datetime``, goes to
  ``ops.adapt_datetimefield_value`` (only naive ones are converted, with a warning);
- ``JSONField`` without an encoder: a dict or list goes to ``ops.adapt_json_value``; None
  stays None (SQL NULL, as ``get_db_prep_save`` makes it).

Any other value returns ``SLOW`` and the caller uses ``get_db_prep_save``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import models

SLOW = object()

Short = Callable[[Any, Any], Any]


def _text(value: Any, ops: Any) -> Any:
    return value if value is None or isinstance(value, str) else SLOW


def _integer(internal_type: str) -> Short:
    def short(value: Any, ops: Any) -> Any:
        if value.__class__ is int:
            return ops.adapt_integerfield_value(value, internal_type)
        return SLOW
    return short


def _datetime(value: Any, ops: Any) -> Any:
    if value is None:
        return None
    if value.__class__ is datetime and value.utcoffset() is not None:
        return ops.adapt_datetimefield_value(value)
    return SLOW


def _json(value: Any, ops: Any) -> Any:
    if value is None:
        return None
    if value.__class__ in (dict, list):
        return ops.adapt_json_value(value, None)
    return SLOW


_INTEGERS = (models.IntegerField, models.BigIntegerField, models.SmallIntegerField,
             models.PositiveIntegerField, models.PositiveBigIntegerField,
             models.PositiveSmallIntegerField)


def _short(field: Any) -> Short | None:
    kind = type(field)
    if kind in (models.CharField, models.TextField):
        return _text
    if kind in _INTEGERS:
        return _integer(field.get_internal_type())
    if kind is models.DateTimeField and not (field.auto_now or field.auto_now_add):
        return _datetime
    if kind is models.JSONField and field.encoder is None:
        return _json
    return None


def plan(fields: tuple[Any, ...]) -> tuple[Short | None, ...]:
    """Per field, its short way or None (``get_db_prep_save`` every time). Callers keep the
    plan with their statement (hashing the fields for a cache costs as much as the walk)."""
    return tuple(_short(field) for field in fields)
