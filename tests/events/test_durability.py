"""Real commits: events occur after commit with the immediate backend, lost hand-offs are
recovered by the periodic tick, and concurrent ticks fire each event once."""

import threading
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction

from django_ai.automation.events import firing
from django_ai.automation.events.models import Event
from django_ai.automation.workflows.clock import now
from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowStatus
from tests.eventapp import flows
from tests.eventapp.models import Appointment, Order

from .helpers import runs_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_event_workflow_runs_right_after_the_commit():
    with transaction.atomic():
        order = Order.objects.create(status="placed")
        assert not runs_of(flows.OrderProcessingWorkflow).exists()
    run = runs_of(flows.OrderProcessingWorkflow).get()
    assert run.status == WorkflowStatus.COMPLETED
    assert run.data == {"order_id": order.pk}


def test_autocommit_save_occurs_at_once():
    Order.objects.create(status="placed")
    assert Event.objects.get().status == "occurred"
    assert runs_of(flows.OrderProcessingWorkflow).get().status == WorkflowStatus.COMPLETED


def test_committed_event_is_remembered_by_the_instance(django_assert_num_queries):
    order = Order.objects.create(status="placed")
    with django_assert_num_queries(1):  # the UPDATE only: no lookup of its events
        order.save()


def test_lost_after_commit_work_is_done_by_the_periodic_tick(monkeypatch):
    # As if the process died between the commit and the after-commit work.
    monkeypatch.setattr(firing, "occur_after_commit", lambda ids: None)
    monkeypatch.setattr("django_ai.automation.events.recording.occur_after_commit",
                        lambda ids: None)
    Order.objects.create(status="placed")
    appointment = Appointment.objects.create(starts_at=now() + timedelta(hours=3))
    assert Event.objects.filter(planned=False).count() == 2
    assert not runs_of(flows.OrderProcessingWorkflow).exists()
    engine.tick()
    assert runs_of(flows.OrderProcessingWorkflow).get().status == WorkflowStatus.COMPLETED
    reminder = runs_of(flows.PreAppointmentReminder).get()
    assert reminder.wake_at == appointment.starts_at - timedelta(hours=1)
    # Nothing missed if the process was down at the due time: a later tick still fires it.
    engine.tick(now() + timedelta(hours=5))
    reminder.refresh_from_db()
    assert reminder.status == WorkflowStatus.COMPLETED
    assert Event.objects.get(event_name="appointment_due").status == "occurred"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks "
                    "(set DATABASE_URL to a PostgreSQL database)")
def test_concurrent_ticks_fire_each_event_once(settings):
    settings.DJANGO_AI = {"BACKEND": "immediate", "TIMER_BATCH_SIZE": 20}
    # Draft orders: no declared event of their own; the emitted-kind events below are the
    # only ones (an emitted event carries no condition).
    orders = Order.objects.bulk_create([Order() for _ in range(300)])
    content_type = ContentType.objects.get_for_model(Order)
    due = now() - timedelta(minutes=1)
    Event.objects.bulk_create([
        Event(event_name="order_placed", entity_type=content_type, entity_id=str(order.pk), at=due,
              kind="emitted") for order in orders])
    barrier = threading.Barrier(2)
    fired = []

    def tick():
        barrier.wait()
        try:
            fired.append(firing.fire_due(now()))
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(fired) == 300
    assert Event.objects.filter(status="occurred").count() == 300
    runs = runs_of(flows.OrderProcessingWorkflow)
    assert runs.count() == 300
    assert runs.values("trigger_event_id").distinct().count() == 300
