"""A SQL expression that sets top-level keys of a JSON column, so a batch of runs that receive
the same payload is updated in one statement instead of one per run."""

from __future__ import annotations

import json
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
            parts.append("%s, json(%s)")
            params.extend([f'$."{key}"', json.dumps(value)])
        return f"json_set({self._column_sql(connection)}, {', '.join(parts)})", params

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        raise NotImplementedError(f"JsonSetKeys is not implemented for {connection.vendor}")


def supported(connection: Any) -> bool:
    return connection.vendor in ("postgresql", "sqlite")
