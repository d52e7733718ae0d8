"""Query plans of the engine's hot queries, captured from real engine calls and EXPLAINed
(ANALYZE, inside a transaction that is rolled back).

    python -m bench.plans        (on whatever the bench database holds)
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connection, transaction

from django_ai.automation.workflows.core import engine

from . import populate
from .engine_direct import capture, collecting, start_chains


def _selects(captured: Any) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if q["sql"].upper().startswith("SELECT")]


def hot_queries() -> dict[str, str]:
    """The SQL the engine really sends for a claim, a tick and a signal nobody waits for."""
    found: dict[str, str] = {}
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
        for sql in _selects(captured):
            table, _, where = sql.partition(" WHERE ")
            if "django_ai_workflows_workflowrun" not in table or "FOR UPDATE" not in where:
                continue  # the events app's own timer source, or not a claiming query
            if "wake_at" in where:
                found.setdefault("due timers (batch, skip locked)", sql)
            elif "updated_at" in where:
                found.setdefault("lost deliveries (recovery)", sql)
    populate.delete_runs("name = %s AND created_at > now() - interval '1 hour'", ["bench_chain"])
    return found


def explain(sql: str) -> list[str]:
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"EXPLAIN (ANALYZE, COSTS OFF, BUFFERS) {sql}")
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
    plans = {name: explain(sql) for name, sql in hot_queries().items()}
    for name, lines in plans.items():
        print(f"\n#### {name}\n\n```\n" + "\n".join(lines) + "\n```", flush=True)
    return plans


if __name__ == "__main__":
    report()
