"""Code schedules fire once per due time on the wall clock of their time zone, DST included."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from django_ai.automation.testing import time_machine
from django_ai.automation.workflows.core import Schedule
from django_ai.automation.workflows.errors import WorkflowDefinitionError
from django_ai.automation.workflows.models import ScheduleFire, WorkflowRun
from django_ai.automation.workflows.scheduling.models import Schedule as ScheduleRow

PARIS = ZoneInfo("Europe/Paris")


def _starts(name: str) -> list[datetime]:
    return [due.astimezone(PARIS) for due in ScheduleFire.objects.filter(
        schedule__workflow=name).order_by("due_at").values_list("due_at", flat=True)]


@pytest.mark.django_db
def test_spring_forward_neither_skips_nor_doubles_a_daily_0230(scheduled):
    scheduled("sch_spring", Schedule(cron="30 2 * * *", timezone="Europe/Paris",
                                     kwargs={"note": "nightly"}))
    with time_machine(datetime(2026, 3, 27, 12, tzinfo=PARIS)) as tm:
        tm.advance_to(datetime(2026, 3, 31, 12, tzinfo=PARIS))
    starts = _starts("sch_spring")
    # 02:30 does not exist on 29 March: that night's run starts as the clock jumps to 03:00.
    assert [(d.day, d.hour, d.minute) for d in starts] == [(28, 2, 30), (29, 3, 0),
                                                           (30, 2, 30), (31, 2, 30)]
    runs = WorkflowRun.objects.filter(name="sch_spring")
    assert runs.count() == 4 and {run.data["note"] for run in runs} == {"nightly"}
    assert all(run.status == "completed" for run in runs)


@pytest.mark.django_db
def test_fall_back_starts_a_repeated_0230_once(scheduled):
    scheduled("sch_fall", Schedule(cron="30 2 * * *", timezone="Europe/Paris"))
    with time_machine(datetime(2026, 10, 23, 12, tzinfo=PARIS)) as tm:
        tm.advance_to(datetime(2026, 10, 27, 12, tzinfo=PARIS))
    starts = _starts("sch_fall")
    # 02:30 happens twice on 25 October; it starts once, at the first (summer time) one.
    assert [(d.day, d.utcoffset()) for d in starts] == [
        (24, timedelta(hours=2)), (25, timedelta(hours=2)), (26, timedelta(hours=1)),
        (27, timedelta(hours=1))]
    assert WorkflowRun.objects.filter(name="sch_fall").count() == 4


@pytest.mark.django_db
def test_interval_schedule_and_the_row_it_keeps(scheduled):
    scheduled("sch_every", Schedule(every=timedelta(minutes=10), name="ten"))
    start = datetime(2026, 5, 1, 9, 0, 5, tzinfo=ZoneInfo("UTC"))
    with time_machine(start) as tm:
        tm.advance(timedelta(minutes=35))
    row = ScheduleRow.objects.get(name="sch_every:ten")
    assert row.from_code and row.every_seconds == 600
    assert [d.minute for d in _starts("sch_every")] == [10, 20, 30]
    assert row.last_due_at == datetime(2026, 5, 1, 9, 30, tzinfo=ZoneInfo("UTC"))
    assert row.next_due_at == datetime(2026, 5, 1, 9, 40, tzinfo=ZoneInfo("UTC"))
    assert row.last_run.name == "sch_every"


@pytest.mark.parametrize("schedule, message", [
    (Schedule(cron="61 * * * *"), "is not valid"),
    (Schedule(cron="0 9 * * *", timezone="Mars/Olympus"), "unknown"),
    (Schedule(), "exactly one of cron"),
    (Schedule(cron="0 9 * * *", every=timedelta(hours=1)), "exactly one of cron"),
    (Schedule(every=timedelta(hours=1), overlap="queue"), "overlap='queue'"),
    (Schedule(every=timedelta(hours=1), catch_up="some"), "catch_up='some'"),
])
def test_bad_schedules_are_refused_at_declaration(scheduled, schedule, message):
    with pytest.raises(WorkflowDefinitionError, match=message):
        scheduled("sch_bad", schedule)
