"""System check for SQLite (ID ``django_ai.W060``).

- ``W060``: a file SQLite database without ``"transaction_mode": "IMMEDIATE"``. The package
  takes the write lock itself where it must (action submissions), but steps, ticks and
  requests writing at the same time can otherwise fail with "database is locked".
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Warning, register
from django.db import connections


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
            id="django_ai.W060")
        for alias in connections if _file_sqlite_without_immediate(alias)
    ]
