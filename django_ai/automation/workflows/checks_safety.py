"""System checks for safe defaults (IDs ``django_ai.E050`` / ``W051``).

- ``E050``: a Context field or ``create_context()`` parameter takes a name that
  ``engine.start`` reserves for its own options (such as ``started_by``).
- ``W051``: a file SQLite database without ``"transaction_mode": "IMMEDIATE"``. The package
  takes the write lock itself where it must (action submissions), but steps, ticks and
  requests writing at the same time can otherwise fail with "database is locked".
"""

from __future__ import annotations

import inspect
from typing import Any

from django.core.checks import CheckMessage, Error, Warning, register
from django.db import connections

from . import registry
from .engine.starting import RESERVED_START_OPTIONS


def _start_parameters(spec: Any) -> set[str]:
    names = set(spec.context_cls.model_fields)
    factory = getattr(spec.cls, "create_context", None)
    if factory is not None:
        try:
            names |= set(inspect.signature(factory).parameters)
        except (TypeError, ValueError):  # a builtin or C callable: nothing to read
            pass
    return names


@register()
def check_reserved_start_names(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    for spec in registry.all_specs():
        for name in sorted(_start_parameters(spec) & set(RESERVED_START_OPTIONS)):
            problems.append(Error(
                f"Workflow {spec.name!r}: its Context (or create_context) takes {name!r}, a "
                "name engine.start() reserves for its own keyword-only option.",
                hint=f"Rename the field, e.g. to '{name}_name'; engine.start(..., {name}=...) "
                     "never reaches the Context.",
                obj=spec.cls, id="django_ai.E050"))
    return problems


def _file_sqlite_without_immediate(alias: str) -> bool:
    settings = connections[alias].settings_dict
    if not settings["ENGINE"].endswith("sqlite3"):
        return False
    name = str(settings.get("NAME") or "")
    if name in ("", ":memory:") or "mode=memory" in name:
        return False
    mode = (settings.get("OPTIONS") or {}).get("transaction_mode")
    return str(mode or "").upper() != "IMMEDIATE"


@register()
def check_sqlite_transaction_mode(app_configs: Any = None, databases: Any = None,
                                  **kwargs: Any) -> list[CheckMessage]:
    return [
        Warning(
            f"Database {alias!r} is a SQLite file without \"transaction_mode\": \"IMMEDIATE\".",
            hint="Add \"OPTIONS\": {\"transaction_mode\": \"IMMEDIATE\", \"timeout\": 20} to "
                 "it, so steps, timers and requests that write at the same time queue for the "
                 "write lock instead of failing with 'database is locked'.",
            id="django_ai.W051")
        for alias in connections if _file_sqlite_without_immediate(alias)
    ]
