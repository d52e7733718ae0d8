"""Exactly once per due time, overlap and catch-up policies, rows operators manage."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections

from django_ai.automation.testing import time_machine
from django_ai.automation.workflows.core import Schedule, engine
from django_ai.automation.workflows.engine import timers
from django_ai.automation.workflows.models import ScheduleFire, WorkflowRun
from django_ai.automation.workflows.scheduling import firing
from django_ai.automation.workflows.scheduling.models import Schedule as ScheduleRow

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def _row(workflow: str, **fields) -> ScheduleRow:
    with time_machine(T0 - timedelta(seconds=1)):
        return ScheduleRow.objects.create(name=f"ops-{workflow}", workflow=workflow,
                                          **{"every_seconds": 60, **fields})


@pytest.mark.django_db
def test_a_new_row_plans_its_first_due_time_and_pause_stops_it(scheduled):
    scheduled("sch_ops")
    row = _row("sch_ops")
    assert row.next_due_at == T0
    row.enabled = False
    row.save()
    assert firing.fire_due(T0 + timedelta(minutes=5)) == 0
    row.enabled, row.next_due_at = True, None  # what the admin's resume does
    with time_machine(T0 + timedelta(minutes=5, seconds=10)):
        row.save()
    assert row.next_due_at == T0 + timedelta(minutes=6)  # no catch-up for a paused stretch


@pytest.mark.django_db
@pytest.mark.parametrize("policy, bound, expected", [
    ("latest", 10, [5]),
    ("all", 3, [3, 4, 5]),
    ("all", 10, [0, 1, 2, 3, 4, 5]),
])
def test_catch_up_after_downtime(scheduled, policy, bound, expected):
    scheduled("sch_catch")
    row = _row("sch_catch", catch_up=policy, catch_up_limit=bound, overlap="allow")
    # Down from 08:00 to 08:05:30: the tick finally runs.
    assert firing.fire_due(T0 + timedelta(minutes=5, seconds=30)) == len(expected)
    fires = ScheduleFire.objects.filter(schedule=row).order_by("due_at")
    assert [(fire.due_at - T0).seconds // 60 for fire in fires] == expected
    assert WorkflowRun.objects.filter(name="sch_catch").count() == len(expected)
    row.refresh_from_db()
    assert row.next_due_at == T0 + timedelta(minutes=6)


@pytest.mark.django_db
def test_a_due_time_is_claimed_once_even_when_fired_again(scheduled):
    scheduled("sch_once")
    row = _row("sch_once")
    assert firing.fire_schedule(row.pk, T0) == 1
    ScheduleRow.objects.filter(pk=row.pk).update(next_due_at=T0, last_due_at=None)
    assert firing.fire_schedule(row.pk, T0) == 1  # the due time again, as a racing beat would
    assert ScheduleFire.objects.filter(schedule=row).count() == 1
    assert WorkflowRun.objects.filter(name="sch_once").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("overlap, statuses, outcomes", [
    ("skip", ["waiting-or-suspended"], ["started", "skipped"]),
    ("allow", ["suspended", "suspended"], ["started", "started"]),
    ("cancel_previous", ["cancelled", "suspended"], ["started", "started"]),
])
def test_overlap_policies(scheduled, overlap, statuses, outcomes):
    scheduled("sch_overlap", Schedule(every=timedelta(minutes=1), overlap=overlap), waits=True)
    with time_machine(T0 + timedelta(seconds=30)) as tm:
        tm.advance(timedelta(minutes=2))
    runs = list(WorkflowRun.objects.filter(name="sch_overlap").order_by("id"))
    got = [run.status for run in runs]
    if statuses == ["waiting-or-suspended"]:
        assert got == ["suspended"]
    else:
        assert got == statuses
    fires = ScheduleFire.objects.filter(schedule__workflow="sch_overlap").order_by("due_at")
    assert [fire.outcome for fire in fires] == outcomes
    if overlap == "skip":
        assert "still active" in fires[1].detail
        with time_machine(T0 + timedelta(minutes=2, seconds=30)) as tm:
            engine.signal("sch_overlap-done")
            tm.advance(timedelta(minutes=1))
        assert WorkflowRun.objects.filter(name="sch_overlap").count() == 2


@pytest.mark.django_db
def test_a_start_that_fails_is_recorded_and_the_tick_goes_on(scheduled):
    scheduled("sch_good")
    bad = _row("sch_missing")
    good = _row("sch_good")
    kwargs_bad = ScheduleRow.objects.create(name="ops-badkw", workflow="sch_good",
                                            every_seconds=60, kwargs={"note": ["not", "text"]},
                                            next_due_at=T0)
    assert firing.fire_due(T0) == 3
    fires = {fire.schedule_id: fire for fire in ScheduleFire.objects.all()}
    assert fires[bad.pk].outcome == "failed" and "sch_missing" in fires[bad.pk].detail
    assert fires[kwargs_bad.pk].outcome == "failed" and "note" in fires[kwargs_bad.pk].detail
    assert fires[good.pk].outcome == "started"
    bad.refresh_from_db()
    assert "sch_missing" in bad.last_error


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
def test_racing_ticks_start_one_run_per_due_time(scheduled):
    scheduled("sch_race")
    _row("sch_race")
    moments = [T0 + timedelta(seconds=20 * i) for i in range(30)]  # 10 due minutes
    errors: list[BaseException] = []

    def beat() -> None:
        try:
            for at in moments:
                timers.tick(at)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=beat) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert ScheduleFire.objects.filter(schedule__workflow="sch_race").count() == 10
    assert WorkflowRun.objects.filter(name="sch_race").count() == 10
