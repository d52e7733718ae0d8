"""Shared bench plumbing: database setup, Django setup, stats and table printing."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_DB_URL = "postgres://postgres@127.0.0.1:5432/bench_dai"


def db_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB_URL)


def _admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def recreate_database() -> None:
    """Drop and create the bench database so every run starts from empty tables."""
    import psycopg

    admin, name = _admin_url(db_url())
    if not name.startswith("bench"):
        raise SystemExit(f"Refusing to drop database {name!r}: bench databases start with 'bench'.")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(*, fresh: bool = False) -> None:
    """Django is configured on import of ``bench``; ``fresh`` recreates the database."""
    if fresh:
        from django.core.management import call_command
        from django.db import connection

        connection.close()
        recreate_database()
        call_command("migrate", verbosity=0)


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as t: ...`` then ``t[0]`` is the elapsed seconds."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def pct(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def fmt(value: Any) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "n/a"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.2f}" if abs(value) >= 1 else f"{value:.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (pastes straight into README.md)."""
    cells = [list(header)] + [[fmt(value) for value in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [f"\n### {title}\n"]
    for n, row in enumerate(cells):
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    text = "\n".join(lines)
    print(text, flush=True)
    return text


def best_of(repeats: int, func: Callable[[], float]) -> float:
    """Run a measurement returning a rate several times and keep the best (least disturbed)."""
    return max(func() for _ in range(repeats))


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
