"""A SQL expression that sets top-level keys of a JSON column, so a batch of runs that receive
the same payload is updated in one statement instead of one per run."""

from __future__ import annotations

import json
import re
from typing import Any

from django.db.models import Expression, JSONField


class JsonSetKeys(Expression):
    output_field = JSONField()

    def __init__(self, column: str, values: dict[str, Any]) -> None:
        super().__init__()
        self.column = column
        self.values = values

    def _column_sql(self, connection: Any) -> str:
        return connection.ops.quote_name(self.column)

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        return f"({self._column_sql(connection)} || %s::jsonb)", [json.dumps(self.values)]

    def as_sqlite(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        parts: list[str] = []
        params: list[Any] = []
        for key, value in self.values.items():
            if not _PLAIN_KEY.fullmatch(key):  # callers check supported() first
                raise ValueError(f"JsonSetKeys cannot address key {key!r} on SQLite.")
            parts.append("%s, json(%s)")
            params.extend([f'$."{key}"', json.dumps(value)])
        return f"json_set({self._column_sql(connection)}, {', '.join(parts)})", params

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        raise NotImplementedError(f"JsonSetKeys is not implemented for {connection.vendor}")


# SQLite's JSON paths cannot escape a quote, and its key matching compares the stored text,
# where Python's json.dumps has escaped non-ASCII characters: only plain ASCII names are safe.
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def supported(connection: Any, values: dict[str, Any]) -> bool:
    """True when the database can merge these keys in SQL; otherwise save the row (the ORM)."""
    if connection.vendor == "postgresql":
        return True
    return connection.vendor == "sqlite" and all(_PLAIN_KEY.fullmatch(key) for key in values)
