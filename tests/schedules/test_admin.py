"""Operators add, pause and resume schedules in the admin; code schedules stay code's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client

from django_ai.automation.workflows.core import Schedule
from django_ai.automation.workflows.scheduling import firing
from django_ai.automation.workflows.scheduling.models import Schedule as ScheduleRow

CHANGELIST = "/admin/django_ai_workflows/schedule/"


@pytest.fixture
def admin_client(db):
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com"))
    return client


def test_add_pause_and_resume_a_schedule(scheduled, admin_client):
    scheduled("sch_admin")
    response = admin_client.post(f"{CHANGELIST}add/", {
        "name": "ops-nightly", "workflow": "sch_admin", "cron": "30 2 * * *",
        "timezone": "Europe/Paris", "kwargs": '{"note": "from ops"}', "overlap": "skip",
        "catch_up": "latest", "catch_up_limit": "10", "enabled": "on",
        "fires-TOTAL_FORMS": "0", "fires-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    row = ScheduleRow.objects.get(name="ops-nightly")
    assert row.next_due_at is not None and row.kwargs == {"note": "from ops"}

    admin_client.post(CHANGELIST, {"action": "pause", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert not row.enabled
    assert firing.fire_due(row.next_due_at + timedelta(days=3)) == 0

    admin_client.post(CHANGELIST, {"action": "resume", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert row.enabled and row.next_due_at is not None
    page = admin_client.get(CHANGELIST).content.decode()
    assert "ops-nightly" in page and "cron 30 2 * * * (Europe/Paris)" in page
    assert admin_client.get(f"{CHANGELIST}{row.pk}/change/").status_code == 200


def test_code_schedules_show_their_calendar_read_only(scheduled, admin_client):
    scheduled("sch_admin_code", Schedule(every=timedelta(hours=1), name="hourly"))
    firing.next_due()  # syncs the code schedules into rows
    row = ScheduleRow.objects.get(name="sch_admin_code:hourly")
    page = admin_client.get(f"{CHANGELIST}{row.pk}/change/").content.decode()
    assert 'name="enabled"' in page and 'name="cron"' not in page
