"""A run's timeline: one row per step visit, each a list of timed segments.

Built from the history rows' ``segments`` and the run's ``step_log`` (engine/steplog.py). A
wait's end is the start of what followed it, or the end of its visit; the time between one
visit's end and the next one's first attempt is shown as ``queued`` (delivery lag). Rows written
before segments were recorded show one ``step`` segment from the previous visit's end.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..clock import now
from ..models import TERMINAL_STATUSES, StepExecution, WorkflowRun

MAX_ROWS = 200
QUEUED_MIN_MS = 50  # shorter hand-offs are not worth a bar of their own
WAIT_KINDS = ("start", "sleep", "retry", "signal", "event", "action", "subflow")


def _at(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC)


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def _error_text(text: str, full: bool) -> str:
    text = text.strip()
    return text if full else text.split("\n", 1)[0]


def _segment(entry: dict[str, Any], end_ms: int | None, full_errors: bool) -> dict[str, Any]:
    kind = entry.get("k", "step")
    segment: dict[str, Any] = {"kind": kind, "start": _at(entry.get("s")),
                               "end": _at(entry.get("e", end_ms)), "until": _at(entry.get("u"))}
    detail = entry.get("d")
    if kind == "attempt":
        segment["error"] = _error_text(detail, full_errors) if detail else None
    elif kind == "subflow":
        segment["child_run"] = detail
    elif kind == "elided":
        segment["detail"] = f"{entry.get('n', 1)} earlier entries not kept"
    elif detail:
        segment["detail"] = str(detail)
    return segment


def _segments(entries: list[dict[str, Any]], visit_end: int | None, previous_end: int | None,
              full_errors: bool) -> list[dict[str, Any]]:
    out = []
    first = entries[0].get("s") if entries else visit_end
    if previous_end is not None and first is not None and first - previous_end >= QUEUED_MIN_MS:
        out.append({"kind": "queued", "start": _at(previous_end), "end": _at(first),
                    "until": None})
    for index, entry in enumerate(entries):
        following = entries[index + 1].get("s") if index + 1 < len(entries) else visit_end
        out.append(_segment(entry, following, full_errors))
    return out


def _history_row(row: StepExecution, previous_end: int | None, full: bool) -> dict[str, Any]:
    end = _ms(row.created_at)
    entries = list(row.segments or [])
    if not entries:  # recorded before segments existed: the whole visit as one bar
        entries = [{"k": "step", "s": previous_end if previous_end is not None else end}]
    return {"step": row.step_name, "status": row.status, "ended_at": row.created_at,
            "attempts": row.attempt, "error": _error_text(row.error, full) or None,
            "segments": _segments(entries, end, previous_end, full)}


def _current_row(run: WorkflowRun, previous_end: int | None, full: bool) -> dict[str, Any]:
    entries = list(run.step_log or [])
    if run.status == "running" and (not entries or entries[-1].get("k") == "attempt"):
        # Runnable: waiting for a worker, or a worker is in the body right now.
        entries.append({"k": "running", "s": _ms(run.updated_at)})
    return {"step": run.current_step, "status": "current", "ended_at": None,
            "attempts": run.attempt, "error": _error_text(run.error, full) or None,
            "segments": _segments(entries, None, previous_end, full)}


def build_timeline(run: WorkflowRun, *, full_errors: bool = False,
                   limit: int = MAX_ROWS) -> dict[str, Any]:
    """The timeline of ``run`` as plain data (datetimes, not yet JSON)."""
    rows_qs = StepExecution.objects.filter(run=run).order_by("-id")
    history = list(rows_qs[: limit + 1])[::-1]
    truncated = len(history) > limit
    history = history[-limit:]
    previous = None if truncated else _ms(run.created_at)
    rows = []
    for row in history:
        rows.append(_history_row(row, previous, full_errors))
        previous = _ms(row.created_at)
    if run.status not in TERMINAL_STATUSES:
        rows.append(_current_row(run, previous, full_errors))
    children = list(WorkflowRun.objects.filter(parent_run=run).order_by("id").values(
        "id", "name", "status", "created_at", "finished_at")[:limit])
    return {
        "run": {"id": run.pk, "name": run.name, "status": run.status,
                "current_step": run.current_step, "created_at": run.created_at,
                "finished_at": run.finished_at, "parent_run_id": run.parent_run_id},
        "now": now(), "truncated": truncated, "rows": rows, "children": children,
    }
