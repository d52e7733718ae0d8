"""Growth: the engine figures (direct loop) with more and more rows already in the tables:
empty, 100,000 finished runs, 1,000,000 finished runs, then 100,000 sleeping runs on top.
Finished runs have two history rows each. Prints the figures per level and the plans used.

    python -m bench.growth [--quick]
"""

from __future__ import annotations

import argparse

from . import engine_direct, plans, populate
from .common import log, setup_django, stopwatch, table

FULL_LEVELS = [("empty", 0, 0), ("100k finished", 100_000, 0), ("1M finished", 900_000, 0),
               ("1M finished + 100k sleeping", 0, 100_000)]
QUICK_LEVELS = [("empty", 0, 0), ("10k finished", 10_000, 0), ("100k finished", 90_000, 0),
                ("100k finished + 10k sleeping", 0, 10_000)]


def run_levels(quick: bool) -> list[tuple[str, dict[str, float], dict[str, str]]]:
    results = []
    for name, finished, sleeping in QUICK_LEVELS if quick else FULL_LEVELS:
        with stopwatch() as filled:
            populate.add_finished_runs(finished)
            populate.add_sleeping_runs(sleeping)
            populate.analyze(vacuum=True)
        log(f"level {name}: filled in {filled[0]:.1f} s: {populate.counts()}")
        figures = engine_direct.measure(quick)
        plan_summary = {label: plans.summary(plans.explain(*query))
                        for label, query in plans.hot_queries().items()}
        results.append((name, figures, plan_summary))
    return results


def change(first: float, last: float, higher_is_better: bool) -> str:
    """Signed change from the empty tables to the fullest, as a percentage."""
    if not first:
        return "n/a"
    delta = (last - first) / first * 100
    return f"{delta:+.0f} %" + ("" if (delta >= -20 if higher_is_better else delta <= 20)
                                 else " (!)")


def print_tables(results: list[tuple[str, dict[str, float], dict[str, str]]]) -> None:
    names = [name for name, _, _ in results]
    rows = []
    for label, key in engine_direct.ROWS:
        cells = [engine_direct.cell(figures, key) for _, figures, _ in results]
        metric = {"queries": "q_data", "fanout": "fanout_s", "timers": "timers",
                  "interleaved": "il_engine"}.get(key, key)
        first, last = results[0][1][metric], results[-1][1][metric]
        rows.append([label, *cells, change(first, last, metric not in ("fanout_s", "q_data"))])
    table("Growth: engine figures (direct loop) as the tables fill", ["figure", *names,
                                                                     "empty → last"], rows)
    labels = list(results[0][2])
    table("Growth: hot query plans (index used; execution time)", ["query", *names],
          [[label, *[summary.get(label, "-") for _, _, summary in results]] for label in labels])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    setup_django(fresh=True)
    results = run_levels(args.quick)
    print_tables(results)
    print("\nPlans at the fullest level:")
    plans.report()


if __name__ == "__main__":
    main()
