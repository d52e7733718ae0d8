"""The demo's business data. The workflows act on these rows; the rows announce events."""

from django.db import models

from django_ai.automation.events import EventDefinition


class Order(models.Model):
    customer_email = models.EmailField()
    total = models.DecimalField(max_digits=10, decimal_places=2)
    # Demo switch: the shipping carrier rejects this order, so the run fails and compensates.
    undeliverable = models.BooleanField(default=False)
    charge_id = models.CharField(max_length=40, blank=True, default="")
    paid = models.BooleanField(default=False)
    refunded = models.BooleanField(default=False)
    reservation_id = models.CharField(max_length=40, blank=True, default="")
    released = models.BooleanField(default=False)
    tracking_number = models.CharField(max_length=40, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    # "payment_received" happens when the payment provider's callback marks the order paid.
    events = [EventDefinition("payment_received", condition=lambda order: order.paid)]

    def __str__(self) -> str:
        return f"Order #{self.pk} ({self.customer_email})"


class Appointment(models.Model):
    customer_email = models.EmailField()
    starts_at = models.DateTimeField()
    reminded = models.BooleanField(default=False)

    # A scheduled event: it occurs at starts_at; PreAppointmentReminder runs an hour before.
    events = [EventDefinition("appointment_due", date_field="starts_at")]

    def __str__(self) -> str:
        return f"Appointment #{self.pk} at {self.starts_at:%H:%M}"


class Notification(models.Model):
    """The demo's outbox: what a real project would hand to an email provider."""

    recipient_email = models.EmailField()
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"To {self.recipient_email}: {self.message[:40]}"
