"""What happened inside one step visit, kept for the run timeline.

While a run is at a step, ``run.step_log`` collects compact entries: each body attempt (with
its error when it raised) and each wait that began (sleep, retry backoff, signal, event, action,
subflow, planned start). When the step's history row is written the entries move into
``StepExecution.segments`` and the run's log starts empty again. A wait's end is not written
when it ends (batched wake-ups update many runs in one statement): it is the start of whatever
came next, or the history row's ``created_at``.

Entries are small dicts with short keys, because they ride on every transition's UPDATE:
``k`` kind, ``s`` start and ``e`` end (epoch milliseconds), ``u`` a wait's planned end,
``d`` detail (what a wait waits for, a child run id, an attempt's error).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..clock import now

# A step that sleeps in a loop for months must not grow its run row without bound: keep the
# first entries and the latest ones, and count what was dropped in between.
MAX_ENTRIES = 40
_HEAD = 8
ERROR_CHARS = 500


def millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _append(run: Any, entry: dict[str, Any]) -> None:
    log = list(run.step_log or ())
    log.append(entry)
    if len(log) > MAX_ENTRIES:
        head = log[_HEAD]
        if head.get("k") == "elided":  # fold the next entry into the marker
            log[_HEAD] = {**head, "n": head.get("n", 1) + 1}
            del log[_HEAD + 1]
        else:  # two entries become one marker
            log[_HEAD:_HEAD + 2] = [{"k": "elided", "n": 2, "s": head.get("s")}]
    run.step_log = log


def attempt(run: Any, started: datetime, error: str = "") -> None:
    """A body attempt from ``started`` until now; ``error`` when it raised."""
    entry: dict[str, Any] = {"k": "attempt", "s": millis(started), "e": millis(now())}
    if error:
        entry["d"] = error[:ERROR_CHARS]
    _append(run, entry)


def wait_began(run: Any, kind: str, until: datetime | None, detail: Any = "") -> None:
    """A wait of ``kind`` starting now, planned to end at ``until`` (None: no timeout)."""
    entry: dict[str, Any] = {"k": kind, "s": millis(now())}
    if until is not None:
        entry["u"] = millis(until)
    if detail not in ("", None):
        entry["d"] = detail
    _append(run, entry)


def take(run: Any) -> list[dict[str, Any]]:
    """The entries of the step visit that is ending; the run's log starts afresh."""
    log = list(run.step_log or ())
    run.step_log = []
    return log
