"""Whether validating a Context is a pure function of its input.

A signal to thousands of runs validates the payload merged into each run's saved Context. When
many runs share the same class and the same saved data, one validation gives every one of them
the same result, provided that validation (and the JSON dump after it) depends on nothing but
the input: no validator or serializer function (it could read a clock, a counter, a global), no
``default_factory`` other than an empty container, no ``model_post_init``/``__post_init__``, no
custom ``__init__``, no computed field. Anything else, or anything this walk does not
recognise, counts as impure and is validated run by run, as before.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel

# Factories that always build the same (empty) value.
_PURE_FACTORIES = (list, dict, set, frozenset, tuple)


def _impure_entry(key: str, value: Any) -> bool:
    if key == "default_factory":
        return value not in _PURE_FACTORIES
    if key in ("post_init", "custom_init", "computed_fields"):
        return bool(value)
    if key == "type":
        return isinstance(value, str) and value.startswith("function-")
    # A function anywhere (a validator, a serializer, an enum's ``_missing_``); classes (a
    # model's or an enum's ``cls``) are data here.
    return callable(value) and not isinstance(value, type)


def _walk(schema: Any, seen: set[int]) -> bool:
    """True when ``schema`` (a pydantic-core schema tree) holds anything impure."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "metadata":  # JSON-schema hooks, not used to validate
                    continue
                if _impure_entry(str(key), value):
                    return True
                if isinstance(value, dict | list | tuple):
                    stack.append(value)
        elif isinstance(node, list | tuple):
            for item in node:
                if callable(item) and not isinstance(item, type):
                    return True
                if isinstance(item, dict | list | tuple):
                    stack.append(item)
    return False


@cache
def pure(context_cls: type[BaseModel]) -> bool:
    """True when equal input always validates and dumps to equal output (see module doc)."""
    schema = getattr(context_cls, "__pydantic_core_schema__", None)
    if not isinstance(schema, dict):  # not built, or a mock: do not guess
        return False
    return not _walk(schema, set())
