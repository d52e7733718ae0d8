"""Query plans of the engine's hot queries, captured from real engine calls and EXPLAINed
(ANALYZE, inside a transaction that is rolled back).

    python -m bench.plans        (on whatever the bench database holds)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction

from django_ai.automation.workflows.core import engine

from . import populate
from .engine_direct import collecting, start_chains

Query = tuple[str, Any]  # SQL with %s placeholders, and its parameters


@contextmanager
def capture() -> Iterator[list[Query]]:
    """The statements sent meanwhile with their parameters, from an ``execute_wrapper``: the
    query log shows prepared statements with ``$n`` placeholders and no values."""
    sent: list[Query] = []

    def record(execute, sql, params, many, context):
        sent.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield sent


def _selects(captured: list[Query]) -> list[Query]:
    return [(sql, params) for sql, params in captured if sql.upper().startswith("SELECT")]


def hot_queries() -> dict[str, Query]:
    """The SQL the engine really sends for a claim, a tick and a signal nobody waits for."""
    found: dict[str, Query] = {}
    with collecting() as backend:
        start_chains(1)
        with capture() as captured:
            backend.drain()
        found["claim a delivered step (lock by pk)"] = _selects(captured)[0]
        with capture() as captured:
            engine.signal("bench-nobody-waits")
        found["signal waiters (batch, locked)"] = _selects(captured)[0]
        with capture() as captured:
            engine.tick()
        for sql, params in _selects(captured):
            table, _, where = sql.partition(" WHERE ")
            if "django_ai_workflows_workflowrun" not in table or "FOR UPDATE" not in where:
                continue  # the events app's own timer source, or not a claiming query
            if "wake_at" in where:
                found.setdefault("due timers (batch, skip locked)", (sql, params))
            elif "updated_at" in where:
                found.setdefault("lost deliveries (recovery)", (sql, params))
    populate.delete_runs("name = %s AND created_at > now() - interval '1 hour'", ["bench_chain"])
    return found


def explain(sql: str, params: Any = None) -> list[str]:
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"EXPLAIN (ANALYZE, COSTS OFF, BUFFERS) {sql}", params)
        lines = [row[0] for row in cur.fetchall()]
        transaction.set_rollback(True)
    return lines


def summary(lines: list[str]) -> str:
    """Index names used and the execution time, for the growth table."""
    indexes = sorted(set(re.findall(r"(?:Index|Index Only) Scan(?: Backward)? using (\w+)",
                                    "\n".join(lines))))
    seq = any("Seq Scan" in line for line in lines)
    time = next((line.split(":")[1].strip() for line in lines if "Execution Time" in line), "?")
    return f"{', '.join(indexes) or '-'}{' + SEQ SCAN' if seq else ''}; {time}"


def report() -> dict[str, list[str]]:
    plans = {name: explain(*query) for name, query in hot_queries().items()}
    for name, lines in plans.items():
        print(f"\n#### {name}\n\n```\n" + "\n".join(lines) + "\n```", flush=True)
    return plans


if __name__ == "__main__":
    report()
