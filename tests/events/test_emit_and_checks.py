"""``emit()``, the occurrence object, system checks and the admin."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import checks
from django.db import models
from django.test.utils import isolate_apps

from django_ai.automation.events import EventDefinition, emit
from django_ai.automation.events import definitions as declared
from django_ai.automation.events.models import Event
from django_ai.automation.testing import time_machine
from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowStatus
from tests.eventapp.models import Order, Subscription

from .helpers import START

pytestmark = pytest.mark.django_db


@pytest.fixture
def tm(db):
    with time_machine(start=START) as machine:
        yield machine


def test_occurrence_fields(tm):
    order = Order.objects.create()
    occurrence = emit("payment_received", order)
    assert occurrence.id == Event.objects.get().pk
    assert occurrence.event_name == "payment_received"
    assert occurrence.entity == order
    assert occurrence.entity_id == order.pk
    assert occurrence.at == START


def test_emit_at_a_future_time_occurs_then(tm):
    order = Order.objects.create()
    run = engine.start("order_payment", entity_id=order.pk)
    emit("payment_received", order, at=START + timedelta(hours=2))
    tm.advance(timedelta(hours=1))
    run.refresh_from_db()
    assert run.status == WorkflowStatus.SUSPENDED
    tm.advance(timedelta(hours=1))
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED


def test_emit_twice_records_two_occurrences(tm):
    order = Order.objects.create()
    first, second = emit("payment_received", order), emit("payment_received", order)
    assert first.id != second.id
    assert Event.objects.filter(status="occurred").count() == 2


@pytest.mark.parametrize("entity", [None, "order-1", Order()])
def test_emit_needs_a_saved_instance(tm, entity):
    with pytest.raises(ValueError, match="saved model instance"):
        emit("payment_received", entity)


def test_emit_needs_a_name(tm):
    with pytest.raises(ValueError, match="event name"):
        emit("", Order.objects.create())


def test_date_field_holding_a_date_occurs_at_midnight(tm):
    Subscription.objects.create(renews_on=(START + timedelta(days=1)).date())
    assert Event.objects.get().at == (START + timedelta(days=1)).replace(hour=0)


@pytest.mark.parametrize("kwargs, message", [
    ({"name": ""}, "non-empty"),
    ({"name": "x", "condition": "yes"}, "callable"),
    ({"name": "x", "date_field": 3}, "field name"),
])
def test_definition_arguments_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EventDefinition(**kwargs)


@pytest.fixture
def scratch_models():
    """Models declared in a test: forgotten again afterwards so other checks stay clean."""
    before = set(declared._declared)
    yield
    for model in set(declared._declared) - before:
        del declared._declared[model]


def _errors(model):
    from django_ai.automation.events.checks import check_event_declarations

    return [e for e in check_event_declarations() if e.obj is model]


@isolate_apps("tests.eventapp")
def test_checks_report_unworkable_declarations(scratch_models):
    class Booking(models.Model):  # noqa: DJ008
        title = models.CharField(max_length=10)
        events = [
            EventDefinition("no_such_field", date_field="starts"),
            EventDefinition("not_a_date", date_field="title"),
            EventDefinition("twice"),
            EventDefinition("twice"),
            "stray",
        ]

        class Meta:
            app_label = "eventapp"

    ids = sorted(error.id for error in _errors(Booking))
    assert ids == ["django_ai.E101", "django_ai.E102", "django_ai.E104", "django_ai.E105"]
    messages = " ".join(error.msg for error in _errors(Booking))
    assert "'starts' is not a field" in messages and "CharField" in messages


@isolate_apps("tests.eventapp")
def test_checks_report_a_relation_named_events(scratch_models):
    class Venue(models.Model):  # noqa: DJ008
        events = [EventDefinition("venue_opened")]

        class Meta:
            app_label = "eventapp"

    class Gig(models.Model):  # noqa: DJ008
        venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="events")

        class Meta:
            app_label = "eventapp"

    [error] = _errors(Venue)
    assert error.id == "django_ai.E103"
    assert "clashes" in error.msg


def test_project_models_pass_the_checks():
    errors = [e for e in checks.run_checks() if e.id.startswith("django_ai.E1")]
    assert errors == []


def test_admin_lists_events_with_filters_and_entity_link(tm, client):
    admin = User.objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(admin)
    order = Order.objects.create(status="placed")
    response = client.get("/admin/django_ai_events/event/?status__exact=occurred")
    assert response.status_code == 200
    content = response.content.decode()
    assert "order_placed" in content
    assert f"eventapp.order #{order.pk}" in content
    emit("email_verified", admin)  # a model the admin knows: the entity is a link
    response = client.get("/admin/django_ai_events/event/?event_name=email_verified")
    assert response.status_code == 200
    content = response.content.decode()
    assert f'href="/admin/auth/user/{admin.pk}/change/"' in content
    assert "order_placed" not in content.split("<tbody>")[1].split("</tbody>")[0]


def test_emitted_event_ignores_the_declared_condition(tm):
    """``emit`` is explicit: the condition of a declared event of the same name does not
    apply to it (or to the runs it plans)."""
    from tests.eventapp import flows

    from .helpers import runs_of

    draft = Order.objects.create(status="draft")
    emit("order_placed", draft)
    assert runs_of(flows.OrderProcessingWorkflow).get().status == WorkflowStatus.COMPLETED
