"""Values the database cannot store, found before they are written and named by their path.

Django writes a JSON column with ``json.dumps``, which renders ``inf`` and ``nan`` as tokens no
database accepts (PostgreSQL raises, SQLite's ``JSON_VALID`` check fails); PostgreSQL cannot hold
a NUL character in ``jsonb`` or text; and Python refuses to write an integer longer than
``sys.get_int_max_str_digits()`` digits. Left to the database, each of these fails the commit of
a step's outcome, every time, so the step would be delivered again forever. Found here, it is a
mistake in the workflow's code that fails the run once, naming the field.
"""

from __future__ import annotations

import json
import math
import sys
from functools import cache
from typing import Any

from django.db import connection

from ..errors import UnstorableValueError


@cache
def _nul_is_unstorable() -> bool:
    return connection.vendor == "postgresql"  # read once: the connection proxy is not free


def _int_too_long(value: int) -> bool:
    limit = sys.get_int_max_str_digits()
    # 3 bits per digit is a cheap lower bound: shorter integers cannot reach the limit.
    return limit > 0 and value.bit_length() > 3 * limit and abs(value) >= 10**limit


def _problem(value: Any, nul: bool) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return f"is {value!r} (JSON has no infinite or NaN numbers)"
    if isinstance(value, int) and not isinstance(value, bool) and _int_too_long(value):
        return f"is an integer of more than {sys.get_int_max_str_digits()} digits"
    if nul and isinstance(value, str) and "\x00" in value:
        return "contains a NUL character (\\x00), which PostgreSQL cannot store"
    return ""


_ENCODER = json.JSONEncoder(allow_nan=False)


def _looks_clean(value: Any, nul: bool) -> bool:
    """The common case, decided by the C JSON encoder: it refuses non-finite floats and integers
    too long to write, and shows NUL as an escape. Any doubt goes to the walk that names the
    field (which has the last word)."""
    try:
        text = _ENCODER.encode(value)
    except (ValueError, TypeError, RecursionError):
        return False
    return not (nul and "\\u0000" in text)


def find_unstorable(value: Any) -> tuple[str, str] | None:
    """``(path, problem)`` of the first value in a JSON-like tree the database cannot store."""
    nul = _nul_is_unstorable()
    if _looks_clean(value, nul):
        return None
    stack: list[tuple[tuple[Any, ...], Any]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if nul and isinstance(key, str) and "\x00" in key:
                    return _dotted((*path, key)), "is a key with a NUL character (\\x00)"
                stack.append(((*path, key), child))
        elif isinstance(item, list | tuple):
            stack.extend(((*path, index), child) for index, child in enumerate(item))
        elif problem := _problem(item, nul):
            return _dotted(path), problem
    return None


def _dotted(path: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in path) or "(the value itself)"


def check_storable(value: Any, where: str) -> None:
    """Raise ``UnstorableValueError`` naming the field when ``value`` cannot be stored."""
    found = find_unstorable(value)
    if found is not None:
        path, problem = found
        raise UnstorableValueError(
            f"{where}: field {path!r} {problem}; the database cannot store it. This is a "
            "mistake in the workflow's code (or in the values given to it), so it is not retried."
        )


def storable_text(text: str) -> str:
    """``text`` with NUL characters spelt out, for error and reason columns."""
    return text.replace("\x00", "\\x00") if "\x00" in text else text
