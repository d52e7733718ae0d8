"""The admin dashboard's queries at 1,000,000 runs: their times and EXPLAIN (ANALYZE) plans.

Fills 1M finished runs (two history rows each, finished 1–31 days ago), 20,000 runs finished in
the last 24 hours (history ids in time order, as the engine writes them), 100,000 sleeping runs,
10,000 signal waiters, 1,000 overdue timers and 50 RUNNING runs untouched for ten minutes; then
runs each dashboard figure (best of three) and EXPLAINs every SELECT it sent.

    python -m bench.dashboard [--quick] [--plans-to bench/results/dashboard-plans.md]

``--quick`` fills a tenth of that.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_ai.automation.workflows.observe import dashboard

from . import populate
from .common import log, setup_django, stopwatch, table
from .plans import explain

RECENT_SELECT = (
    "SELECT 'bench_chain', '1', CASE WHEN g %% 50 = 0 THEN 'failed' ELSE 'completed' END, 's9', "
    "'{\"n\": 0}'::jsonb, 1.0, '', 0, 10, '', '', NULL, '', '', '', '', '{}'::jsonb, "
    "'{}'::jsonb, {at}, {at}, {at}")


def add_recent_runs(count: int) -> None:
    """Runs finished over the last 24 h in id order, with their two history rows."""
    at = "now() - interval '24 hours' + g * (interval '24 hours' / %s)"
    select = RECENT_SELECT.replace("{at}", at)
    first, last = populate._insert_runs(count, select, [count, count, count])
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {populate.HISTORY} (run_id, step_name, status, error, attempt, "
            "created_at) SELECT r.id, 's' || k, CASE WHEN k = 1 THEN r.status ELSE 'completed' "
            f"END, '', 1, r.created_at FROM {populate.RUNS} r CROSS JOIN generate_series(0, 1) "
            "AS k WHERE r.id BETWEEN %s AND %s ORDER BY r.id, k", [first, last])


def add_stale_running(count: int) -> None:
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {populate.RUNS} SET status = 'running', finished_at = NULL, "
                    "updated_at = now() - interval '10 minutes' WHERE id IN (SELECT id FROM "
                    f"{populate.RUNS} WHERE name = 'bench_sleep' ORDER BY id LIMIT %s)",
                    [count])


def fill(quick: bool) -> None:
    scale = 10 if quick else 1
    with stopwatch() as elapsed:
        populate.add_finished_runs(1_000_000 // scale)
        add_recent_runs(20_000 // scale)
        populate.add_sleeping_runs(100_000 // scale)
        populate.add_signal_waiters(10_000 // scale)
        populate.add_due_sleepers(1_000 // scale)
        add_stale_running(50)
        populate.analyze(vacuum=True)
    log(f"filled in {elapsed[0]:.0f} s: {populate.counts()}")


FIGURES = {
    "runs by workflow and status": lambda at: dashboard.runs_by_workflow(at),
    "step throughput, last 24 h": lambda at: dashboard.step_throughput(at),
    "oldest waiting runs": lambda at: dashboard.oldest_waiting(at),
    "runs held for recovery": lambda at: dashboard.held_for_recovery(at),
    "due-timer backlog and lateness": lambda at: dashboard.timer_backlog(at),
}


def measure() -> tuple[list[list[str]], dict[str, list[tuple[str, list[str]]]]]:
    from django_ai.automation.workflows.clock import now

    rows, plans = [], {}
    for label, figure in FIGURES.items():
        times = []
        for _ in range(3):
            with CaptureQueriesContext(connection) as captured, stopwatch() as elapsed:
                figure(now())
            times.append(elapsed[0] * 1000)
        selects = [q["sql"] for q in captured.captured_queries]
        explained = [(sql, explain(sql)) for sql in selects]
        plans[label] = explained
        worst = max(explained, key=lambda item: _ms(item[1]))
        rows.append([label, f"{min(times):.1f} ms", str(len(selects)), summary(worst[1])])
    return rows, plans


def summary(lines: list[str]) -> str:
    """Indexes used (plain, index-only and bitmap scans) and the execution time."""
    text = "\n".join(lines)
    indexes = sorted(set(re.findall(r"Scan(?: Backward)? (?:using|on) (\w+)", text))
                     - {populate.RUNS, populate.HISTORY})
    seq = "Seq Scan" in text
    time = next((line.split(":")[1].strip() for line in lines if "Execution Time" in line), "?")
    return f"{', '.join(indexes) or '-'}{' + SEQ SCAN' if seq else ''}; {time}"


def _ms(lines: list[str]) -> float:
    line = next((line for line in lines if "Execution Time" in line), "0 ms")
    return float(line.split(":")[-1].strip().split()[0]) if ":" in line else 0.0


def write_plans(path: Path, plans: dict[str, list[tuple[str, list[str]]]]) -> None:
    out = ["# Dashboard query plans (EXPLAIN (ANALYZE, COSTS OFF, BUFFERS))", "",
           f"Database: {populate.counts()}", ""]
    for label, explained in plans.items():
        out.append(f"## {label}\n")
        for sql, lines in explained:
            out += ["```sql", sql, "```", "```", *lines, "```", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out))
    log(f"plans written to {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--plans-to", default="bench/results/dashboard-plans.md")
    args = parser.parse_args()
    setup_django(fresh=True)
    fill(args.quick)
    rows, plans = measure()
    table("Dashboard queries (best of 3; the slowest statement's plan)",
          ["figure", "time", "statements", "slowest statement: indexes; execution"], rows)
    write_plans(Path(args.plans_to), plans)


if __name__ == "__main__":
    main()
