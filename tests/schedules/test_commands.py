"""``workflows schedules`` lists them; ``workflows check`` finds schedules that cannot start."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from django_ai.automation.testing import time_machine
from django_ai.automation.workflows.core import Schedule
from django_ai.automation.workflows.scheduling.models import Schedule as ScheduleRow


@pytest.mark.django_db
def test_schedules_lists_next_due_time_and_last_run(scheduled, capsys):
    scheduled("sch_listed", Schedule(cron="0 9 * * 1-5", timezone="Europe/Paris", name="am"))
    ScheduleRow.objects.create(name="ops-hourly", workflow="sch_listed", every_seconds=3600,
                               enabled=False)
    with time_machine() as tm:
        tm.advance(timedelta(days=3))
        call_command("workflows", "schedules")
    out = capsys.readouterr().out
    assert "sch_listed:am" in out and "cron 0 9 * * 1-5 (Europe/Paris)" in out
    assert "on*" in out and "paused" in out and "ops-hourly" in out
    assert "last run: run " in out and "(completed)" in out
    assert "never started" in out
    assert "2 schedule(s)" in out


@pytest.mark.django_db
def test_check_reports_each_kind_of_bad_schedule(scheduled, capsys):
    scheduled("sch_checked", Schedule(every=timedelta(hours=1), kwargs={"note": 5}))
    rows = {
        "bad-cron": {"cron": "every day"},
        "bad-tz": {"cron": "0 9 * * *", "timezone": "Europe/Atlantis"},
        "bad-workflow": {"cron": "0 9 * * *", "workflow": "nope"},
        "bad-kwargs": {"cron": "0 9 * * *", "kwargs": {"colour": "red"}},
    }
    for name, fields in rows.items():
        ScheduleRow.objects.create(name=name, **{"workflow": "sch_checked", **fields})
    with pytest.raises(CommandError, match=r"problem\(s\) found"):
        call_command("workflows", "check")
    err = capsys.readouterr().err
    assert "schedule 'bad-cron': cron 'every day' is not valid" in err
    assert "schedule 'bad-tz': time zone 'Europe/Atlantis' is unknown" in err
    assert "schedule 'bad-workflow': workflow 'nope' is not registered" in err
    assert "schedule 'bad-kwargs': kwargs do not build the Context" in err
    assert "'colour': not a field of its Context" in err
    assert "schedule 'sch_checked:0': kwargs do not build the Context" in err and "note" in err
