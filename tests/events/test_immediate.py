"""Condition events: occur after the commit of the save that makes the condition true."""

import logging

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from django_ai.automation.events.models import Event
from django_ai.automation.testing import time_machine
from django_ai.automation.workflows.models import WorkflowRun, WorkflowStatus
from tests.eventapp import flows
from tests.eventapp.models import Order, Ticket

from .helpers import START, runs_of

pytestmark = pytest.mark.django_db
EVENT_TABLE = '"django_ai_events_event"'
RUN_TABLE = '"django_ai_workflows_workflowrun"'


@pytest.fixture
def tm(db):
    with time_machine(start=START) as machine:
        yield machine


def test_basic_event_workflow_from_the_guide(tm):
    order = Order.objects.create(status="placed")
    run = runs_of(flows.OrderProcessingWorkflow).get()
    assert run.status == WorkflowStatus.COMPLETED
    assert run.data == {"order_id": order.pk}
    assert flows.CALLS[-1] == f"processing order {order.pk}"
    event = Event.objects.get()
    assert (event.name, event.status, event.at, event.entity) == (
        "order_placed", "occurred", START, order)


def test_occurs_when_a_later_save_makes_the_condition_true(tm):
    order = Order.objects.create()
    assert not Event.objects.exists()
    order.status = "placed"
    order.save()
    assert Event.objects.get().status == "occurred"
    assert runs_of(flows.OrderProcessingWorkflow).count() == 1


def test_once_per_entity_and_name(tm):
    order = Order.objects.create(status="placed")
    order.status = "draft"
    order.save()
    order.status = "placed"
    order.save()
    Order.objects.get(pk=order.pk).save()  # a fresh instance, same row
    assert Event.objects.count() == 1
    assert runs_of(flows.OrderProcessingWorkflow).count() == 1


def test_occurs_only_after_commit(tm):
    with transaction.atomic():
        Order.objects.create(status="placed")
        assert Event.objects.get().status == "pending"
        assert not runs_of(flows.OrderProcessingWorkflow).exists()
    # The block's exit stands for the commit (time_machine in a test transaction).
    assert Event.objects.get().status == "occurred"
    assert runs_of(flows.OrderProcessingWorkflow).get().status == WorkflowStatus.COMPLETED


def test_rolled_back_save_records_nothing(tm):
    with pytest.raises(RuntimeError), transaction.atomic():
        Order.objects.create(status="placed")
        raise RuntimeError("the user's transaction fails")
    tm.run_until_idle()
    assert not Event.objects.exists()
    assert not WorkflowRun.objects.exists()


def test_condition_that_raises_is_logged_and_the_save_succeeds(tm, caplog):
    with caplog.at_level(logging.ERROR, logger="django_ai.events"):
        ticket = Ticket.objects.create(title="printer on fire")
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert not Event.objects.exists()
    [record] = [r for r in caplog.records if r.name == "django_ai.events"]
    message = record.getMessage()
    assert "eventapp.Ticket" in message and "'ticket_opened'" in message
    assert record.exc_info is not None


def test_thousand_entities_in_one_transaction(tm):
    with (CaptureQueriesContext(connection) as everything, transaction.atomic(),
          CaptureQueriesContext(connection) as in_transaction):
        for _ in range(1000):
            Order.objects.create(status="placed")
        assert not WorkflowRun.objects.exists()  # nothing before the commit
    # Per save: the order INSERT and the event INSERT (plus a one-time ContentType lookup).
    assert len(in_transaction) <= 1000 * 2 + 1
    # The block's exit is where a commit would hand off: the events occur and the runs start.
    assert Event.objects.filter(status="occurred").count() == 1000
    runs = runs_of(flows.OrderProcessingWorkflow)
    assert runs.count() == 1000
    assert runs.filter(status=WorkflowStatus.COMPLETED).count() == 1000
    assert set(runs.values_list("data__order_id", flat=True)) == set(
        Order.objects.values_list("pk", flat=True))
    # Planning and occurring is batched (TIMER_BATCH_SIZE = 500 events): per batch one SELECT
    # of the events, one of their entities, one UPDATE of the events, and the runs' INSERT
    # (one statement on PostgreSQL; SQLite splits it by its parameter limit). The runs' steps
    # then execute, each in its own transaction, which is the rest of the statements.
    sqls = [q["sql"] for q in everything.captured_queries]
    event_statements = [sql for sql in sqls if EVENT_TABLE in sql.split(" WHERE ")[0]
                        and not sql.startswith("INSERT")]
    run_inserts = [sql for sql in sqls if sql.startswith(f"INSERT INTO {RUN_TABLE}")]
    assert len(event_statements) <= 2 * 2 + 1  # + the claim that finds nothing left
    assert len(run_inserts) <= (2 if connection.vendor == "postgresql" else 40)


def test_queries_added_to_a_save(tm, django_assert_max_num_queries):
    order = Order.objects.create()
    # No condition true: the save is just the UPDATE.
    with django_assert_max_num_queries(1):
        order.save()
    order.status = "placed"
    # The UPDATE, one SELECT of the entity's events and one INSERT; the rest runs after commit.
    with transaction.atomic(), django_assert_max_num_queries(3 + 2):  # + SAVEPOINT/RELEASE
        order.save()
    # Already recorded: one SELECT finds it (after a real commit the instance remembers it
    # and skips even that; see test_durability).
    with transaction.atomic(), django_assert_max_num_queries(2 + 2):
        order.save()
    # A new row with a true condition: its INSERT and the event INSERT.
    with transaction.atomic(), django_assert_max_num_queries(2 + 2):
        Order.objects.create(status="placed")


def test_rolled_back_save_is_recorded_again_by_the_same_instance(tm):
    order = Order.objects.create()
    order.status = "placed"
    with pytest.raises(RuntimeError), transaction.atomic():
        order.save()
        raise RuntimeError("rolled back")
    assert not Event.objects.exists()
    order.save()
    assert Event.objects.get().status == "occurred"


def test_bulk_create_records_the_events_too(tm):
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        Order.objects.bulk_create([Order(status="placed") for _ in range(1000)] + [Order()])
    tables = ('INSERT INTO "eventapp_order"', f"INSERT INTO {EVENT_TABLE}")
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(tables)]
    # The orders' INSERT and the events' INSERT (SQLite splits both by its parameter limit).
    assert len(inserts) <= (2 if connection.vendor == "postgresql" else 80)
    assert Event.objects.filter(status="occurred").count() == 1000
    assert runs_of(flows.OrderProcessingWorkflow).filter(
        status=WorkflowStatus.COMPLETED).count() == 1000


def test_bulk_create_ignoring_conflicts_records_nothing(tm):
    Order.objects.bulk_create([Order(status="placed")], ignore_conflicts=True)
    assert not Event.objects.exists()
