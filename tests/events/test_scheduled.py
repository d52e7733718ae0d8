"""Scheduled events (``date_field``) and event workflows with offsets."""

from datetime import timedelta

import pytest
from django.db import transaction

from django_ai.automation.events.models import Event
from django_ai.automation.testing import time_machine
from django_ai.automation.workflows.models import WorkflowStatus
from tests.eventapp import flows
from tests.eventapp.models import Appointment

from .helpers import START, at, runs_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def tm(db):
    with time_machine(start=START) as machine:
        yield machine


def test_reminder_one_hour_before_fires_at_nine_for_ten_oclock(tm):
    appointment = Appointment.objects.create(starts_at=at(10))
    run = runs_of(flows.PreAppointmentReminder).get()
    assert (run.status, run.wake_at) == (WorkflowStatus.WAITING, at(9))
    assert run.entity_model == "eventapp.appointment"
    assert run.entity_id == str(appointment.pk)
    tm.advance_to(at(8, 59))
    run.refresh_from_db()
    assert run.status == WorkflowStatus.WAITING
    tm.advance_to(at(9))
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED
    assert run.finished_at == at(9)
    assert run.data == {"entity_id": appointment.pk}
    assert run.completion_display == {
        "display_title": "Reminder Sent",
        "display_subtitle": "Customer notified 1 hour before appointment",
    }
    assert flows.CALLS[0] == f"reminder for appointment {appointment.pk}"


def test_moving_the_appointment_moves_the_reminder(tm):
    appointment = Appointment.objects.create(starts_at=at(10))
    appointment.starts_at = at(11)
    appointment.save()
    run = runs_of(flows.PreAppointmentReminder).get()
    assert run.wake_at == at(10)
    event = Event.objects.get(event_name="appointment_due")
    assert (event.at, event.status) == (at(11), "pending")
    tm.advance_to(at(9, 30))
    run.refresh_from_db()
    assert run.status == WorkflowStatus.WAITING
    tm.advance_to(at(10))
    run.refresh_from_db()
    assert (run.status, run.finished_at) == (WorkflowStatus.COMPLETED, at(10))
    assert runs_of(flows.PreAppointmentReminder).count() == 1


def test_deleting_the_appointment_means_no_reminder(tm):
    appointment = Appointment.objects.create(starts_at=at(10))
    run = runs_of(flows.PreAppointmentReminder).get()
    appointment.delete()
    run.refresh_from_db()
    assert run.status == WorkflowStatus.CANCELLED
    assert "deleted" in run.error
    assert Event.objects.get().status == "cancelled"
    tm.advance(timedelta(days=40))
    assert flows.CALLS == []
    assert not runs_of(flows.PreAppointmentReminder).exclude(
        status=WorkflowStatus.CANCELLED).exists()


def test_event_occurs_at_its_time_and_starts_offset_zero_runs(tm):
    appointment = Appointment.objects.create(starts_at=at(10))
    check_in = runs_of(flows.AtAppointment).get()
    assert check_in.wake_at == at(10)
    assert check_in.data == {"entity_id": appointment.pk, "event_at": at(10).isoformat()}
    tm.advance_to(at(9, 59))
    assert Event.objects.get().status == "pending"
    tm.advance_to(at(10))
    event = Event.objects.get()
    assert (event.status, event.occurred_at) == ("occurred", at(10))
    check_in.refresh_from_db()
    assert check_in.status == WorkflowStatus.COMPLETED
    assert check_in.trigger_event_id == event.pk


def test_several_workflows_on_the_same_event_and_offset(tm):
    Appointment.objects.create(starts_at=at(10))
    assert runs_of(flows.PreAppointmentReminder).count() == 1
    assert runs_of(flows.SecondReminder).count() == 1
    tm.advance_to(at(9))
    assert runs_of(flows.SecondReminder).get().status == WorkflowStatus.COMPLETED


def test_relativedelta_offset(tm):
    Appointment.objects.create(starts_at=at(10, day=31))
    follow_up = runs_of(flows.FollowUp).get()
    # One calendar month after 31 March is 30 April (relativedelta clamps the day).
    assert follow_up.wake_at == at(10, day=30).replace(month=4)
    tm.advance_to(at(10, day=30).replace(month=4))
    follow_up.refresh_from_db()
    assert follow_up.status == WorkflowStatus.COMPLETED


def test_reminder_whose_moment_has_passed_starts_at_once(tm):
    Appointment.objects.create(starts_at=at(8, 30))  # reminder moment 07:30 is gone
    run = runs_of(flows.PreAppointmentReminder).get()
    assert (run.status, run.finished_at) == (WorkflowStatus.COMPLETED, START)


def test_condition_false_at_start_time_cancels_the_planned_run(tm):
    appointment = Appointment.objects.create(starts_at=at(10))
    appointment.status = "cancelled"
    appointment.save()
    tm.advance_to(at(11))
    run = runs_of(flows.PreAppointmentReminder).get()
    assert run.status == WorkflowStatus.CANCELLED
    assert flows.CALLS == []
    event = Event.objects.get()
    assert (event.status, event.note) == ("cancelled", "The event's condition did not hold at "
                                                        "its time.")
    assert runs_of(flows.AtAppointment).get().status == WorkflowStatus.CANCELLED


def test_moving_after_occurrence_plans_a_new_one(tm):
    appointment = Appointment.objects.create(starts_at=at(10))
    tm.advance_to(at(10, 30))
    first = runs_of(flows.PreAppointmentReminder).get()
    assert first.status == WorkflowStatus.COMPLETED
    appointment.starts_at = at(15)
    appointment.save()
    statuses = sorted(Event.objects.values_list("status", "at"))
    assert statuses == [("occurred", at(10)), ("pending", at(15))]
    second = runs_of(flows.PreAppointmentReminder).exclude(pk=first.pk).get()
    assert second.wake_at == at(14)
    first.refresh_from_db()
    assert first.status == WorkflowStatus.COMPLETED
    # Saving again without moving the date plans nothing more.
    appointment.save()
    assert Event.objects.count() == 2


def test_started_runs_are_left_alone_when_the_date_moves(tm):
    appointment = Appointment.objects.create(starts_at=at(10))
    tm.advance_to(at(9, 30))  # the reminder ran at 09:00; check-in waits for 10:00
    appointment.starts_at = at(12)
    appointment.save()
    reminder = runs_of(flows.PreAppointmentReminder).get()
    assert (reminder.status, reminder.finished_at) == (WorkflowStatus.COMPLETED, at(9))
    assert runs_of(flows.AtAppointment).get().wake_at == at(12)


def test_clearing_the_date_cancels_the_event_and_setting_it_plans_again(tm):
    appointment = Appointment.objects.create(starts_at=at(10))
    appointment.starts_at = None
    appointment.save()
    assert Event.objects.get().status == "cancelled"
    assert runs_of(flows.PreAppointmentReminder).get().status == WorkflowStatus.CANCELLED
    appointment.starts_at = at(10)
    appointment.save()
    assert Event.objects.filter(status="pending").count() == 1
    tm.advance_to(at(9))
    assert runs_of(flows.PreAppointmentReminder).filter(
        status=WorkflowStatus.COMPLETED).count() == 1


def test_update_fields_without_the_date_field_touches_no_event(tm, django_assert_num_queries):
    appointment = Appointment.objects.create(starts_at=at(10))
    appointment.status = "confirmed"
    with django_assert_num_queries(1):
        appointment.save(update_fields=["status"])


def test_queries_added_to_saves_of_a_scheduled_model(tm, django_assert_max_num_queries):
    """Inside the caller's transaction (SAVEPOINT/RELEASE of the test's atomic block aside):
    create +1 (event INSERT); save with the date unchanged +1 (SELECT); move the date +1 UPDATE
    of the event, +1 SELECT of its planned runs and +1 UPDATE per listening workflow."""
    with transaction.atomic(), django_assert_max_num_queries(2 + 1 + 2):
        appointment = Appointment.objects.create(starts_at=at(10))
    tm.run_until_idle()
    with transaction.atomic(), django_assert_max_num_queries(2 + 1 + 2):
        appointment.save()
    appointment.starts_at = at(11)
    listeners = 4  # PreAppointmentReminder, SecondReminder, FollowUp, AtAppointment
    with transaction.atomic(), django_assert_max_num_queries(3 + 2 + listeners + 2):
        appointment.save()
    with transaction.atomic(), django_assert_max_num_queries(2 + 2 + 2):  # delete: +2 UPDATEs
        appointment.delete()


def test_moving_the_date_so_the_reminder_time_has_passed_sends_it_at_once(tm):
    appointment = Appointment.objects.create(starts_at=at(11))
    tm.advance_to(at(9, 30))
    appointment.starts_at = at(10)  # the reminder moment, 09:00, is now in the past
    appointment.save()
    run = runs_of(flows.PreAppointmentReminder).get()
    assert (run.status, run.finished_at) == (WorkflowStatus.COMPLETED, at(9, 30))


def test_bulk_created_appointments_get_their_reminders(tm):
    Appointment.objects.bulk_create([Appointment(starts_at=at(10)), Appointment()])
    assert runs_of(flows.PreAppointmentReminder).get().wake_at == at(9)
