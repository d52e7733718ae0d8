"""``workflows schedules``: one line per schedule with its calendar, next due time and last run."""

from __future__ import annotations

from collections.abc import Callable

from ..management.runinfo import when
from .models import Schedule
from .sync import sync_code_schedules


def write_schedules(write: Callable[[str], None]) -> None:
    sync_code_schedules()
    rows = list(Schedule.objects.select_related("last_run").order_by("name"))
    write(f"{'SCHEDULE':<32} {'WORKFLOW':<24} {'CALENDAR':<34} {'STATE':<7} NEXT DUE")
    for row in rows:
        state = ("paused" if not row.enabled else "on") + ("*" if row.from_code else "")
        last = row.last_run
        last_text = (f"run {last.pk} ({last.status}) due {when(row.last_due_at)}"
                     if last is not None else "never started")
        write(f"{row.name[:32]:<32} {row.workflow[:24]:<24} {row.calendar[:34]:<34} {state:<7} "
              f"{when(row.next_due_at) if row.enabled else '-'}")
        write(f"    last run: {last_text}")
        if row.last_error:
            write(f"    last error: {row.last_error.strip().splitlines()[-1]}")
    write(f"{len(rows)} schedule(s); * declared in code.")
