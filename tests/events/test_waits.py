"""``wait_for_event``: woken only by occurrences whose entity matches the run's binding."""

import logging
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db import transaction

from django_ai.automation.events import emit
from django_ai.automation.events.models import Event
from django_ai.automation.testing import time_machine
from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowRun, WorkflowStatus
from tests.eventapp import flows
from tests.eventapp.models import Order

from .helpers import START

pytestmark = pytest.mark.django_db


@pytest.fixture
def tm(db):
    with time_machine(start=START) as machine:
        yield machine


def refreshed(run):
    run.refresh_from_db()
    return run


def test_payment_for_order_a_does_not_wake_order_b(tm):
    order_a, order_b = Order.objects.create(), Order.objects.create()
    run_a = engine.start("order_payment", entity_id=order_a.pk)
    run_b = engine.start("order_payment", entity_id=order_b.pk)
    assert run_a.status == run_b.status == WorkflowStatus.SUSPENDED
    occurrence = emit("payment_received", order_a)
    run_a, run_b = refreshed(run_a), refreshed(run_b)
    assert run_a.status == WorkflowStatus.COMPLETED
    assert run_a.data == {"entity_id": order_a.pk, "event_id": occurrence.id,
                          "event_name": "payment_received", "fulfilled": True,
                          "cancelled": False}
    assert flows.CALLS[-1] == f"payment {occurrence.id} for order {order_a.pk}"
    assert list(run_a.step_executions.values_list("step_name", flat=True)) == [
        "wait_for_payment", "process_payment", "fulfill_order"]
    assert run_b.status == WorkflowStatus.SUSPENDED
    emit("payment_received", order_b)
    assert refreshed(run_b).data["fulfilled"] is True


def test_wait_times_out_to_on_timeout(tm):
    order = Order.objects.create()
    run = engine.start("order_payment", entity_id=order.pk)
    tm.advance(timedelta(hours=48))
    run = refreshed(run)
    assert run.status == WorkflowStatus.COMPLETED
    assert run.data["cancelled"] is True
    emit("payment_received", order)  # after the timeout: changes nothing
    assert refreshed(run).data["fulfilled"] is False


def test_emit_inside_a_transaction_wakes_after_commit_only(tm):
    order = Order.objects.create()
    run = engine.start("order_payment", entity_id=order.pk)
    with transaction.atomic():
        emit("payment_received", order)
        assert refreshed(run).status == WorkflowStatus.SUSPENDED
    tm.run_until_idle()
    assert refreshed(run).status == WorkflowStatus.COMPLETED
    with pytest.raises(RuntimeError), transaction.atomic():
        emit("payment_received", order)
        raise RuntimeError("rolled back")
    assert Event.objects.count() == 1


def test_run_started_by_an_event_is_bound_to_its_entity(tm):
    """The guide's email-verification child, started under a parent bound to one user."""
    alice = User.objects.create(username="alice")
    bob = User.objects.create(username="bob")
    parent = engine.start("account_signup", email="a@example.com", entity_id=alice.pk)
    child = WorkflowRun.objects.get(parent_run=parent)
    assert (child.status, child.entity_id) == (WorkflowStatus.SUSPENDED, str(alice.pk))
    assert child.waiting_for == "email_verified"
    emit("email_verified", bob)
    assert refreshed(child).status == WorkflowStatus.SUSPENDED
    emit("email_verified", alice)
    assert refreshed(child).status == WorkflowStatus.COMPLETED
    assert refreshed(parent).status == WorkflowStatus.COMPLETED


def test_unbound_run_is_woken_by_any_entity(tm):
    run = engine.start("sample_email_verification", email="x@example.com")
    assert run.entity_id == ""
    emit("email_verified", User.objects.create(username="carol"))
    assert refreshed(run).data["verified"] is True


def test_context_that_rejects_the_data_keeps_waiting(tm, caplog):
    """An unbound run whose ``entity_id: int`` cannot hold a session's text key keeps waiting;
    the problem is logged and ``emit`` itself succeeds."""
    run = engine.start("order_payment", entity_id=1)
    WorkflowRun.objects.filter(pk=run.pk).update(entity_id="", entity_model="")
    session = Session.objects.create(session_key="abc", session_data="",
                                     expire_date=START + timedelta(days=1))
    with caplog.at_level(logging.WARNING, logger="django_ai"):
        emit("payment_received", session)
    assert refreshed(run).status == WorkflowStatus.SUSPENDED
    assert Event.objects.get().status == "occurred"
    assert any("entity_id" in record.getMessage() for record in caplog.records)


def test_event_workflow_bound_wait_ignores_other_models(tm):
    """A run started by an order's event is bound to (eventapp.order, pk): a user with the
    same primary key does not wake it."""
    order = Order.objects.create(status="placed")
    run = flows.OrderPaymentWorkflow  # declared in flows; started by hand below
    started = engine.start(run, entity_id=order.pk)
    WorkflowRun.objects.filter(pk=started.pk).update(entity_model="eventapp.order")
    same_pk_user = User.objects.create(pk=order.pk, username="same")
    emit("payment_received", same_pk_user)
    assert refreshed(started).status == WorkflowStatus.SUSPENDED
    emit("payment_received", order)
    assert refreshed(started).status == WorkflowStatus.COMPLETED


def test_scheduled_event_wakes_waiters_at_its_time(tm):
    from tests.eventapp.models import Appointment

    appointment = Appointment.objects.create(starts_at=START + timedelta(hours=3))
    run = engine.start("order_payment", entity_id=appointment.pk)
    WorkflowRun.objects.filter(pk=run.pk).update(waiting_for="appointment_due")
    tm.advance(timedelta(hours=2, minutes=59))
    assert refreshed(run).status == WorkflowStatus.SUSPENDED
    tm.advance(timedelta(minutes=1))
    run = refreshed(run)
    assert run.status == WorkflowStatus.COMPLETED
    assert run.data["event_name"] == "appointment_due"
