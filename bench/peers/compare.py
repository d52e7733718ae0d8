"""This project beside DBOS Transact on one workload, in the same run: 200 runs × 10 plain steps
on PostgreSQL without a broker, starts, a signal to 1,000 waiting runs, peak RSS.

    python -m bench.peers [--quick]

Each side runs in a process of its own (DBOS in ``.venv-bench-dbos``, created here from
``requirements-dbos.txt`` when missing); rounds alternate which side goes first and the best
figure of two rounds is kept for each side (other load on the machine only makes a round worse).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from ..common import db_url, log, setup_django, table

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENV = ROOT / ".venv-bench-dbos"
REQUIREMENTS = HERE / "requirements-dbos.txt"
# Figures where less is better; the rest (rates) keep the highest of the rounds.
LOWER_IS_BETTER = ("cpu_ms", "stmts_data", "stmts_all", "signal_s", "rss_mib")
MODES = {"many": "many runs driven by one process (DBOS: its thread pool)",
         "serial": "run after run in one thread (DBOS: direct calls)"}


def dbos_python() -> Path:
    """The DBOS virtualenv's interpreter, creating the virtualenv when it is missing or stale."""
    python = VENV / "bin" / "python"
    marker = VENV / "requirements.txt"
    wanted = REQUIREMENTS.read_text()
    if not python.exists() or not marker.exists() or marker.read_text() != wanted:
        log(f"creating {VENV.name} from {REQUIREMENTS.name}")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)],
                       check=True)
        marker.write_text(wanted)
    return python


def dbos_url() -> str:
    return db_url().replace("postgres://", "postgresql://", 1) + "_dbos"


def _recreate_dbos_database() -> None:
    import psycopg

    admin, name = dbos_url().rsplit("/", 1)
    with psycopg.connect(f"{admin}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def run_side(side: str, mode: str, runs: int, signalled: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{HERE}"}
    if side == "dbos":
        _recreate_dbos_database()
        command = [str(dbos_python()), str(HERE / "dbos_peer.py"), mode, str(runs),
                   str(signalled), dbos_url()]
    else:
        command = [sys.executable, str(HERE / "ours.py"), mode, str(runs), str(signalled)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{side} {mode} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def best(rounds: list[dict[str, float]]) -> dict[str, float]:
    return {key: (min if key in LOWER_IS_BETTER else max)(r[key] for r in rounds)
            for key in rounds[0]}


def measure(quick: bool) -> dict[str, dict[str, dict[str, float]]]:
    runs, signalled = (100, 300) if quick else (200, 1000)
    seen: dict[str, dict[str, list[dict[str, float]]]] = {
        mode: {"ours": [], "dbos": []} for mode in MODES}
    for round_no in range(2):
        order = ("ours", "dbos") if round_no % 2 == 0 else ("dbos", "ours")
        for mode in MODES:
            for side in order:
                result = run_side(side, mode, runs, signalled)
                log(f"peers round {round_no + 1} {mode} {side}: {result}")
                seen[mode][side].append(result)
    return {mode: {side: best(rounds) for side, rounds in sides.items()}
            for mode, sides in seen.items()}


ROWS = [
    ("steps/s", "steps_s", "{:,.0f}", "≥ 2×"),
    ("CPU ms per step (client process)", "cpu_ms", "{:.2f}", "≤ ½"),
    ("statements per step, data", "stmts_data", "{:.1f}", "≤"),
    ("statements per step, all (with BEGIN/COMMIT)", "stmts_all", "{:.1f}", "≤"),
    ("starts/s (durable, not executed)", "starts", "{:,.0f}", "≥"),
    ("signal to {n} waiting runs, until all resumed steps ran (s)", "signal_s", "{:.2f}", "≤"),
    ("peak RSS (MiB)", "rss_mib", "{:.1f}", "≤"),
]


def ratio(key: str, ours: float, theirs: float) -> str:
    value = ours / theirs if theirs else float("nan")
    return f"{value:.2f}×"


def print_tables(results: dict, signalled: int) -> None:
    for mode, title in MODES.items():
        ours, theirs = results[mode]["ours"], results[mode]["dbos"]
        table(f"Peers, {title}", ["figure", "this project", "DBOS 3.4.0", "ours / DBOS",
                                  "target"],
              [[label.format(n=f"{signalled:,}"), fmt.format(ours[key]),
                fmt.format(theirs[key]), ratio(key, ours[key], theirs[key]), target]
               for label, key, fmt, target in ROWS])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    setup_django(fresh=True)
    results = measure(args.quick)
    print_tables(results, 300 if args.quick else 1000)


if __name__ == "__main__":
    main()
