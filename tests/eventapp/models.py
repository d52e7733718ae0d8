"""Models that declare events, as a project's own models would."""

from django.db import models

from django_ai.automation.events import EventDefinition


class Order(models.Model):
    status = models.CharField(max_length=20, default="draft")
    total = models.DecimalField(max_digits=10, decimal_places=2, default=0)

    events = [EventDefinition("order_placed", condition=lambda order: order.status == "placed")]

    class Meta:
        app_label = "eventapp"

    def __str__(self) -> str:
        return f"Order {self.pk}"


class Appointment(models.Model):
    starts_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, default="booked")

    events = [
        EventDefinition("appointment_due", date_field="starts_at",
                        condition=lambda appointment: appointment.status != "cancelled"),
    ]

    class Meta:
        app_label = "eventapp"

    def __str__(self) -> str:
        return f"Appointment {self.pk}"


def _broken(ticket):
    raise RuntimeError("condition bug")


class Ticket(models.Model):
    """Its condition raises: the save must still succeed."""

    title = models.CharField(max_length=50, default="")

    events = [EventDefinition("ticket_opened", condition=_broken)]

    class Meta:
        app_label = "eventapp"

    def __str__(self) -> str:
        return self.title


class Subscription(models.Model):
    """A DateField (not DateTime) schedule: the event falls at local midnight."""

    renews_on = models.DateField(null=True, blank=True)

    events = [EventDefinition("subscription_renewal", date_field="renews_on")]

    class Meta:
        app_label = "eventapp"

    def __str__(self) -> str:
        return f"Subscription {self.pk}"
