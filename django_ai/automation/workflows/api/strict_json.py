"""Request bodies the database can store: a strict JSON parser and the same rule for payloads.

A run's Context is saved as JSON in the database, so a body that parses in Python but cannot be
stored there is refused with a 400 before it reaches the engine: non-finite numbers (``NaN``,
``Infinity``, ``1e999``), integers beyond 64 bits, NUL characters (PostgreSQL's text and jsonb
cannot hold them), and nesting deeper than :data:`MAX_DEPTH`.
"""

from __future__ import annotations

import codecs
import json
import math
from typing import Any

from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser

# Deeper bodies are refused; no Context a person would submit comes close.
MAX_DEPTH = 64
_INT_LIMIT = 2**63


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON can carry; send a finite number")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text} is out of range for a stored value")
    return value


def _int(text: str) -> int:
    value = int(text)
    if not -_INT_LIMIT <= value < _INT_LIMIT:
        raise ValueError(f"the integer {text[:30]} is outside the 64-bit range that can be stored")
    return value


def _where(path: str) -> str:
    return f"the value at {path!r}" if path else "the body"


def _problem_with(value: Any, path: str) -> str | None:
    if isinstance(value, str) and "\x00" in value:
        return f"{_where(path)} contains a NUL character (\\u0000), which cannot be stored"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{_where(path)} is {value}, which cannot be stored; send a finite number"
    if isinstance(value, int) and not isinstance(value, bool) and not (
            -_INT_LIMIT <= value < _INT_LIMIT):
        return f"{_where(path)} is outside the 64-bit integer range, so it cannot be stored"
    return None


def unstorable(value: Any, path: str = "") -> str | None:
    """Why ``value`` cannot be stored as JSON (naming where in it), or None when it can."""
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            return (f"{_where(where)} is nested more than {MAX_DEPTH} levels deep, which "
                    "cannot be stored")
        problem = _problem_with(item, where)
        if problem is not None:
            return problem
        if isinstance(item, dict):
            for key, child in item.items():
                if "\x00" in str(key):
                    return (f"a key in {_where(where)} contains a NUL character (\\u0000), "
                            "which cannot be stored")
                stack.append((child, f"{where}.{key}" if where else str(key), depth + 1))
        elif isinstance(item, list | tuple):
            stack.extend((child, f"{where}[{i}]", depth + 1) for i, child in enumerate(item))
    return None


def storable(value: Any) -> None:
    """A serializer field validator: :func:`unstorable` as a ``ValidationError``."""
    problem = unstorable(value)
    if problem is not None:
        raise ValidationError(problem[0].upper() + problem[1:] + ".")


class StrictJSONParser(JSONParser):
    """DRF's JSON parser, refusing what the database cannot store (400, with the reason)."""

    def parse(self, stream: Any, media_type: str | None = None,
              parser_context: dict[str, Any] | None = None) -> Any:
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        try:
            text = codecs.getreader(encoding)(stream).read()
            data = json.loads(text, parse_constant=_constant, parse_float=_float, parse_int=_int)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested more than {MAX_DEPTH} levels deep.")
        except ValueError as exc:  # includes UnicodeDecodeError and JSONDecodeError
            raise ParseError(f"JSON parse error - {exc}")
        problem = unstorable(data)
        if problem is not None:
            raise ParseError(f"JSON parse error - {problem}.")
        return data
