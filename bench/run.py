"""The whole benchmark: baselines, engine figures (direct loop and Celery workers), growth.
Prints Markdown tables (the README's are pasted from this) and writes the raw figures as JSON.

    python -m bench.run [--quick] [--json PATH]

Takes about 11 minutes (``--quick``: about 4) on a 2-core machine; uses the database named by
BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/bench_dai, dropped and created)
and the Redis database BENCH_REDIS_URL (default redis://127.0.0.1:6379/5).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
from importlib.metadata import version
from pathlib import Path

from django.db import connection

from . import (
    bare_celery,
    engine_direct,
    engine_tasks,
    engine_workers,
    floor,
    growth,
    limits,
    plans,
    populate,
)
from .common import log, setup_django, stopwatch, table
from .peers import compare as peers


def machine() -> list[list[str]]:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())
    mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
        cur.execute("SHOW synchronous_commit")
        sync = cur.fetchone()[0]
    redis = subprocess.run(["redis-server", "--version"], capture_output=True, text=True,
                           check=False).stdout.split()[2:3]
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        ["CPU", f"{cpu}, {os.cpu_count()} cores, {mem} GiB RAM"],
        ["PostgreSQL", f"{pg} (local, synchronous_commit={sync})"],
        ["Redis", (redis[0] if redis else "?") + " (local)"],
        ["Python / Django / Celery / psycopg", f"{platform.python_version()} / "
         f"{version('django')} / {version('celery')} / {version('psycopg')}"],
        ["load average at start (1/5/15 min)", load],
    ]


def ratio(value: float, base: float) -> str:
    return f"{value / base * 100:.0f} %" if base else "n/a"


def _peer_rows(peers: dict) -> list[list[str]]:
    rows = []
    for mode, label in (("many", "many runs, one process"), ("serial", "run after run")):
        ours, theirs = peers[mode]["ours"], peers[mode]["dbos"]
        rows.append([f"steps/s vs DBOS, {label}", f"{ours['steps_s']:,.0f}",
                     f"{theirs['steps_s']:,.0f} DBOS", ratio(ours["steps_s"], theirs["steps_s"]),
                     "≥ 200 %"])
        rows.append([f"CPU ms per step vs DBOS, {label}", f"{ours['cpu_ms']:.2f}",
                     f"{theirs['cpu_ms']:.2f} DBOS", ratio(ours["cpu_ms"], theirs["cpu_ms"]),
                     "≤ 50 %"])
    return rows


def summary(f: dict) -> None:
    e, last = f["levels"][0][1], f["levels"][-1][1]
    table("Summary: engine against baselines measured in the same run",
          ["figure", "engine", "baseline", "ratio", "target"], [
        *(_peer_rows(f["peers"]) if "peers" in f else []),
        ["transitions/s, direct loop, 1 process", e["transitions"],
         f"{f['floor_psycopg']:,.0f} raw psycopg floor tx/s",
         ratio(e["transitions"], f["floor_psycopg"]), "≥ 75 %"],
        ["transitions/s, direct loop, interleaved with the raw floor", e["il_engine"],
         f"{e['il_floor']:,.0f} raw psycopg floor tx/s, same moments",
         ratio(e["il_engine"], e["il_floor"]), "≥ 75 %"],
        ["transitions/s, direct loop, 1 process", e["transitions"],
         f"{f['floor_orm']:,.0f} ORM floor tx/s", ratio(e["transitions"], f["floor_orm"]), ""],
        ["statements per goto transition, data / with BEGIN+COMMIT",
         f"{e['q_data']:.0f} / {e['q_all']:.0f}", "floor: 3 / 5", "", "≤ 3 all"],
        ["round trips per goto transition (libpq trace)", f"{e['round_trips']:.2f}",
         "floor: 5", "", ""],
        ["engine.start calls/s", e["starts"], f"{e['starts_old']:,.0f} the old way",
         ratio(e["starts"], e["starts_old"]), "≥ 120 %"],
        ["engine.start_many runs/s (statements)",
         f"{e['start_many']:,.0f} ({e['start_many_q']:.0f})", "", "", "≥ 10,000/s"],
        ["transitions/s, Celery, 1 worker -c 2", e["w_transitions"],
         f"{f['bare_tps']:,.0f} bare no-op tasks/s", ratio(e["w_transitions"], f["bare_tps"]),
         "≥ 50 %"],
        ["transitions/s, Celery, 2 workers, empty tables", e["w_transitions_2w"],
         f"{f['bare_tps_2w']:,.0f} bare, 2 workers",
         ratio(e["w_transitions_2w"], f["bare_tps_2w"]), "≥ 70 %"],
        ["transitions/s, Celery, 2 workers, full tables", last["w_transitions_2w"],
         f"{f['bare_tps_2w']:,.0f} bare, 2 workers",
         ratio(last["w_transitions_2w"], f["bare_tps_2w"]), "≥ 70 %"],
        [f"engine.signal to {e['w_fanout_n']:,.0f} runs, Celery: s in the call",
         f"{e['w_fanout_call']:.2f}", "", "", "≤ 0.5 s"],
        ["resumed steps done/s after that signal", f"{e['w_fanout_rate']:,.0f}",
         f"{e['w_transitions']:,.0f} steady transitions/s",
         ratio(e["w_fanout_rate"], e["w_transitions"]), "≥ 90 %"],
        [f"engine.signal to {e['fanout_n']:,.0f} runs, direct: s / statements",
         f"{e['fanout_s']:.2f} / {e['fanout_q']:.0f}", "", "", ""],
        ["signal → step start p99 (ms)", f"{e['w_sig_p99']:.1f}",
         f"{f['bare_lat_p99']:.1f} bare apply→start p99", "", "≤ 20"],
        ["timer lateness p99, 1 s sleeps (ms)", f"{e['w_timer_p99']:.1f}", "", "", "≤ 100"],
        ["worker peak RSS total, empty → full tables (MiB)",
         f"{e['w_rss_total']:.0f} → {last['w_rss_total']:.0f}",
         f"{f['bare_rss_total']:.0f} bare worker", "", "flat"],
        ["Celery transitions/s, empty → full tables",
         f"{e['w_transitions']:,.0f} → {last['w_transitions']:,.0f}", "",
         growth.change(e["w_transitions"], last["w_transitions"], True), "≥ -20 %"],
    ])


def backends_side_by_side(e: dict[str, float]) -> None:
    """Celery (1 worker, 2 pool processes, Redis) beside Django Tasks (2 db_worker processes,
    no broker), measured one after the other in this run on empty tables."""
    both = [("transitions/s (1,000 runs × 10 steps)", "w_transitions", "t_transitions"),
            ("transitions/s, INLINE_STEP_LIMIT=1", "w_transitions_noinline",
             "t_transitions_noinline"),
            ("engine.start calls/s while the workers run", "w_starts", "t_starts")]
    rows = [[label, f"{e.get(w, 0):,.0f}", f"{e.get(t, 0):,.0f}",
             ratio(e.get(t, 0), e.get(w, 0))] for label, w, t in both]
    for label, key in (("signal → resumed step start p50 / p99 (ms)", "sig"),
                       ("timer lateness, 1 s sleeps, p50 / p99 (ms)", "timer")):
        rows.append([label, f"{e[f'w_{key}_p50']:.1f} / {e[f'w_{key}_p99']:.1f}",
                     f"{e[f't_{key}_p50']:.1f} / {e[f't_{key}_p99']:.1f}", ""])
    table("Delivery backends side by side (empty tables)",
          ["figure", "celery", "tasks (django-tasks-db)", "tasks / celery"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default="/tmp/bench-results.json")
    parser.add_argument("--no-peers", action="store_true", help="skip the DBOS comparison")
    args = parser.parse_args()
    with stopwatch() as elapsed:
        setup_django(fresh=True)
        table("Machine", ["", ""], machine())
        figures: dict = {**floor.measure(args.quick), **bare_celery.measure(args.quick)}
        if not args.no_peers:
            figures["peers"] = peers.measure(args.quick)
            peers.print_tables(figures["peers"], 300 if args.quick else 1000)
        levels = growth.QUICK_LEVELS if args.quick else growth.FULL_LEVELS
        results = []
        for n, (name, finished, sleeping) in enumerate(levels):
            populate.add_finished_runs(finished)
            populate.add_sleeping_runs(sleeping)
            populate.analyze(vacuum=True)
            log(f"level {name}: {populate.counts()}")
            level = engine_direct.measure(args.quick)
            if n in (0, len(levels) - 1):
                level.update(engine_workers.measure(args.quick, variants=n == 0))
            if n == 0 and engine_tasks.available():
                level.update(engine_tasks.measure(args.quick, variants=True))
            plan_summary = {label: plans.summary(plans.explain(*query))
                            for label, query in plans.hot_queries().items()}
            results.append((name, level, plan_summary))
        figures["levels"] = results
        table("Engine with the Celery backend: empty tables and full tables", [
            "figure", results[0][0], results[-1][0]],
            [[label, engine_workers.cell(results[0][1], key),
              engine_workers.cell(results[-1][1], key)] for label, key in engine_workers.ROWS])
        if engine_tasks.available():
            backends_side_by_side(results[0][1])
        growth.print_tables(results)
        summary(figures)
        print("\nPlans of the hot queries at the fullest level:")
        plans.report()
        figures["limits"] = limits.measure(args.quick)  # issue 13, on the full tables
        limits.print_tables(figures["limits"])
    figures["seconds"] = elapsed[0]
    figures["load_end"] = os.getloadavg()
    Path(args.json).write_text(json.dumps(figures, indent=1))
    log(f"done in {elapsed[0]:.0f} s; load average now {os.getloadavg()}; figures in {args.json}")


if __name__ == "__main__":
    main()
