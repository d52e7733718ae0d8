"""The direct loop beside the raw psycopg floor, interleaved: a chunk of engine transitions,
then a chunk of floor transactions, repeated. On a shared 2-core machine either figure moves by
±30 % within minutes, so only a ratio taken over the same moments says how far the engine is
from the floor. ``bench.engine_direct`` runs it and prints both figures.
"""

from __future__ import annotations

from collections.abc import Callable

from . import floor
from .benchapp.workflows import CHAIN_STEPS
from .common import log, stopwatch


def interleaved(backend, start_chains: Callable[[int], None], runs: int,
                rounds: int) -> dict[str, float]:
    """Each side's tx/s over the sum of its time in ``rounds`` alternations of ``runs``
    chains (``runs`` × CHAIN_STEPS transitions, then as many floor transactions)."""
    ids = floor.make_rows(1000)
    count = runs * CHAIN_STEPS
    engine_s = floor_s = 0.0
    try:
        floor.psycopg_floor(ids, 200)  # warm up
        for _ in range(rounds):
            start_chains(runs)
            with stopwatch() as elapsed:
                assert backend.drain() == count
            engine_s += elapsed[0]
            with stopwatch() as elapsed:
                floor.psycopg_floor(ids, count)
            floor_s += elapsed[0]
    finally:
        floor.cleanup()
    results = {"il_engine": count * rounds / engine_s, "il_floor": count * rounds / floor_s}
    log(f"interleaved with the floor: {results}")
    return results


def measure(backend, start_chains: Callable[[int], None], quick: bool) -> dict[str, float]:
    return interleaved(backend, start_chains, 50 if quick else 100, 6 if quick else 8)
