"""The run timeline drawn as SVG on the server: no script, readable in any browser and in tests.

One row per step visit; each segment is a bar on a shared time axis (linear from the run's
creation to its end or now, every bar at least ``MIN_BAR`` pixels wide so a 5 ms attempt stays
visible beside a 3-day wait). A wait's planned end (timeout or wake time) is a tick on its bar.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ..management.runinfo import short_duration

WIDTH, LABEL, RIGHT, ROW, BAR, TOP = 1100, 230, 16, 26, 16, 34
MIN_BAR = 3
LABELS = {"attempt": "attempt", "queued": "queued for a worker", "running": "runnable / running",
          "start": "planned start", "sleep": "sleep", "retry": "retry backoff",
          "signal": "waiting for signal", "event": "waiting for event",
          "action": "waiting for action", "subflow": "subworkflow", "elided": "elided",
          "step": "step (no detail recorded)"}


def _bounds(data: dict[str, Any]) -> tuple[datetime, datetime]:
    starts = [seg["start"] for row in data["rows"] for seg in row["segments"] if seg["start"]]
    # Planned ends (a 30-day timeout) do not stretch the axis: it ends at the run's end or now.
    ends = [seg["end"] for row in data["rows"] for seg in row["segments"] if seg.get("end")]
    first = min([data["run"]["created_at"], *starts])
    last = max([data["run"]["finished_at"] or data["now"], *starts, *ends, first])
    return first, max(last, first + timedelta(milliseconds=1))


class _Scale:
    def __init__(self, first: datetime, last: datetime) -> None:
        self.first, self.span = first, (last - first).total_seconds()

    def x(self, moment: datetime) -> float:
        offset = (moment - self.first).total_seconds()
        return LABEL + (WIDTH - LABEL - RIGHT) * offset / self.span


def _duration(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    if seconds < 10:
        return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"
    return short_duration(delta)


def _title(seg: dict[str, Any], end: datetime) -> str:
    parts = [LABELS.get(seg["kind"], seg["kind"]), _duration(end - seg["start"])
             if seg["start"] else ""]
    if seg.get("end") is None:
        parts.append("still going")
    if seg.get("until"):
        parts.append(f"planned until {seg['until']:%Y-%m-%d %H:%M:%S} UTC")
    for key in ("detail", "error"):
        if seg.get(key):
            parts.append(str(seg[key]))
    if seg.get("child_run"):
        parts.append(f"child run {seg['child_run']}")
    return " · ".join(part for part in parts if part)


def _bar(seg: dict[str, Any], y: float, scale: _Scale, last: datetime, child_url: str) -> str:
    start = seg["start"] or scale.first
    end = seg.get("end") or last
    x = scale.x(start)
    width = max(scale.x(end) - x, MIN_BAR)
    classes = f"seg seg-{seg['kind']}" + (" seg-error" if seg.get("error") else "") + (
        " seg-open" if seg.get("end") is None else "")
    body = (f'<rect class="{classes}" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" '
            f'height="{BAR}" rx="2"><title>{escape(_title(seg, end))}</title></rect>')
    if seg.get("error"):
        body += (f'<text class="seg-mark" x="{x + width + 2:.1f}" y="{y + BAR - 3:.1f}">'
                 f'✕</text>')
    if seg.get("until") and start < seg["until"] <= last:
        ux = scale.x(seg["until"])
        body += (f'<line class="seg-until" x1="{ux:.1f}" x2="{ux:.1f}" y1="{y - 2:.1f}" '
                 f'y2="{y + BAR + 2:.1f}"/>')
    if seg.get("child_run") and child_url:
        body = f'<a href="{escape(child_url.replace("0", str(seg["child_run"]), 1))}">{body}</a>'
    return body


def _axis(scale: _Scale, height: float) -> str:
    lines = []
    for index in range(6):
        x = LABEL + (WIDTH - LABEL - RIGHT) * index / 5
        offset = timedelta(seconds=scale.span * index / 5)
        text = "start" if index == 0 else "+" + _duration(offset)
        lines.append(f'<line class="axis" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP - 6}" '
                     f'y2="{height}"/><text class="axis-label" x="{x:.1f}" y="{TOP - 10}" '
                     f'text-anchor="middle">{escape(text)}</text>')
    return "".join(lines)


def _row(index: int, row: dict[str, Any], scale: _Scale, last: datetime, child_url: str) -> str:
    y = TOP + index * ROW
    label = f"{row['step']}" + (f" ×{row['attempts']}" if (row["attempts"] or 0) > 1 else "")
    parts = [f'<g class="row row-{escape(row["status"])}" data-step="{escape(row["step"])}">',
             f'<text class="row-label" x="{LABEL - 8}" y="{y + BAR - 3}" text-anchor="end">'
             f'{escape(label[:32])}<title>{escape(row["step"])} ({escape(row["status"])})'
             f'</title></text>']
    parts += [_bar(seg, y, scale, last, child_url) for seg in row["segments"]]
    parts.append("</g>")
    return "".join(parts)


def render_svg(data: dict[str, Any], child_url: str = "") -> SafeString:
    """The timeline as an inline ``<svg>``; ``child_url`` links subflow bars (``0`` → id)."""
    first, last = _bounds(data)
    scale = _Scale(first, last)
    height = TOP + max(len(data["rows"]), 1) * ROW + 6
    rows = "".join(_row(i, row, scale, last, child_url) for i, row in enumerate(data["rows"]))
    svg = (f'<svg class="dai-timeline" xmlns="http://www.w3.org/2000/svg" role="img" '
           f'aria-label="Run timeline" width="{WIDTH}" height="{height}" '
           f'viewBox="0 0 {WIDTH} {height}">{_axis(scale, height)}{rows}</svg>')
    return mark_safe(svg)  # every interpolated value above is escaped
