"""Bare Celery baseline: no-op tasks through Redis with the bench worker settings.

    python -m bench.bare_celery [--quick]
"""

from __future__ import annotations

import argparse
import time

from .common import log, pct, rate, setup_django, stopwatch, table
from .worker import Worker, purge


def wait_counter(key: str, target: int, timeout: float) -> None:
    from .workerapp import redis_client

    deadline = time.monotonic() + timeout
    while int(redis_client().get(key) or 0) < target:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {redis_client().get(key)} of {target} chains finished")
        time.sleep(0.005)


def chains_per_second(chains: int, links: int) -> float:
    """``chains`` chains of ``links`` no-op tasks, each sending the next: tasks/s."""
    from .workerapp import COUNTER_KEY, noop_chain, redis_client

    redis_client().delete(COUNTER_KEY)
    with stopwatch() as elapsed:
        for _ in range(chains):
            noop_chain.apply_async((links - 1,))
        wait_counter(COUNTER_KEY, chains, timeout=600)
    return rate(chains * links, elapsed[0])


def independent_per_second(count: int) -> float:
    """``count`` independent no-op tasks published by this process: round trips/s."""
    from .workerapp import COUNTER_KEY, noop_chain, redis_client

    redis_client().delete(COUNTER_KEY)
    with stopwatch() as elapsed:
        for _ in range(count):
            noop_chain.apply_async((0,))
        wait_counter(COUNTER_KEY, count, timeout=600)
    return rate(count, elapsed[0])


def start_latency(count: int, spacing: float = 0.005) -> list[float]:
    """apply_async → task start, ms, for ``count`` tasks sent ``spacing`` s apart."""
    from .workerapp import LATENCY_KEY, redis_client, stamp

    client = redis_client()
    client.delete(LATENCY_KEY)
    for _ in range(count):
        stamp.apply_async((time.time(),))
        time.sleep(spacing)
    deadline = time.monotonic() + 30
    while client.llen(LATENCY_KEY) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return [float(v) * 1000 for v in client.lrange(LATENCY_KEY, 0, -1)]


def measure(quick: bool) -> dict[str, float]:
    chains = 200 if quick else 1000
    results: dict[str, float] = {}
    purge()
    with Worker(concurrency=2) as worker:
        chains_per_second(50, 10)  # warm up the pool processes
        results["bare_tps"] = max(chains_per_second(chains, 10) for _ in range(2))
        results["bare_rtps"] = independent_per_second(chains * 10)
        latencies = start_latency(100 if quick else 500)
        results["bare_lat_p50"] = pct(latencies, 50)
        results["bare_lat_p99"] = pct(latencies, 99)
        results["bare_rss_max"], results["bare_rss_total"] = worker.peak_rss_mib()
    with Worker(concurrency=2), Worker(concurrency=2):
        chains_per_second(50, 10)
        results["bare_tps_2w"] = chains_per_second(chains, 10)
    log(f"bare celery: {results}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    setup_django()
    r = measure(args.quick)
    table("Bare Celery (no-op tasks, Redis, prefork -c 2)", ["figure", "value"], [
        ["no-op tasks/s, 1 worker (chains of 10)", r["bare_tps"]],
        ["no-op tasks/s, 2 workers (chains of 10)", r["bare_tps_2w"]],
        ["no-op round trips/s, 1 worker (published by the driver)", r["bare_rtps"]],
        ["apply_async → start p50 / p99 (ms)",
         f"{r['bare_lat_p50']:.2f} / {r['bare_lat_p99']:.2f}"],
        ["worker peak RSS, largest process / total (MiB)",
         f"{r['bare_rss_max']:.0f} / {r['bare_rss_total']:.0f}"],
    ])


if __name__ == "__main__":
    main()
