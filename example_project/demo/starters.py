"""What the page's buttons do: start each workflow with demo data, and play the outside world
(a user finishing their profile, a bank confirming a payment) for runs that wait on it."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WaitKind, WorkflowRun

from .models import Appointment, Order

_NAMES = ["ada", "grace", "alan", "edsger", "barbara", "ken", "margaret", "linus"]


def _email() -> str:
    return f"{random.choice(_NAMES)}{random.randint(1, 99)}@example.com"


# Each starter records the logged-in user as the run's starter (engine.start's keyword-only
# started_by): without a RUN_VISIBILITY_HOOK, a non-staff user sees only the runs they started.


def start_onboarding(user: Any) -> int | None:
    return engine.start("user_onboarding", started_by=user, email=_email()).pk


def _start_order(user: Any, undeliverable: bool) -> int | None:
    order = Order.objects.create(customer_email=_email(), total=random.randint(20, 400),
                                 undeliverable=undeliverable)
    return engine.start("order_processing", started_by=user, order_id=order.pk,
                        customer_email=order.customer_email).pk


def start_order(user: Any) -> int | None:
    return _start_order(user, undeliverable=False)


def start_failing_order(user: Any) -> int | None:
    return _start_order(user, undeliverable=True)


def start_expense(user: Any) -> int | None:
    purpose = random.choice(["team lunch", "train to Lyon", "conference ticket", "a new monitor"])
    return engine.start("expense_approval", started_by=user,
                        employee=random.choice(_NAMES).title(),
                        amount=f"€{random.randint(15, 900)}", purpose=purpose).pk


def book_appointment(user: Any) -> int | None:
    """Book an appointment 61 minutes from now; its reminder run starts in about a minute.

    The event workflow starts that run, not a person: it has no starter, so only staff see it.
    """
    appointment = Appointment.objects.create(
        customer_email=_email(), starts_at=timezone.now() + timedelta(minutes=61))
    run = (WorkflowRun.objects.filter(name="appointment_reminder",
                                      entity_id=str(appointment.pk)).order_by("-id").first())
    return run.pk if run is not None else None


@dataclass(frozen=True)
class Starter:
    workflow: str
    label: str
    description: str
    start: Callable[[Any], int | None]


STARTERS = {
    "onboarding": Starter("user_onboarding", "Onboard a user",
                          "Welcome email (a subworkflow), then waits for the profile signal "
                          "with a 2-minute timeout and nudges.", start_onboarding),
    "order": Starter("order_processing", "Place an order",
                     "Charges, waits for the payment event, reserves and ships.", start_order),
    "failing-order": Starter("order_processing", "Place an undeliverable order",
                             "Shipping fails twice; @on_fail refunds and releases stock.",
                             start_failing_order),
    "expense": Starter("expense_approval", "Claim an expense",
                       "Waits for a manager to fill in the review form.", start_expense),
    "appointment": Starter("appointment_reminder", "Book an appointment",
                           "Starts in 61 minutes; the reminder workflow runs an hour before, "
                           "so in about a minute.", book_appointment),
}


def play_outside_world(run: WorkflowRun) -> str:
    """Deliver what a suspended run waits for, as the real world eventually would."""
    if run.wait_kind == WaitKind.SIGNAL and run.waiting_for == "profile_completed":
        engine.signal("profile_completed", {"full_name": run.data["email"].split("@")[0].title()},
                      run_id=run.pk)
        return "Sent signal profile_completed."
    if run.wait_kind == WaitKind.EVENT and run.waiting_for == "payment_received":
        # Saving paid=True makes Order's declared event occur after the commit. Code with no
        # such field would call emit("payment_received", order) instead.
        order = Order.objects.get(pk=run.data["entity_id"])
        order.paid = True
        order.save(update_fields=["paid"])
        return "The bank confirmed the payment (event payment_received)."
    raise ValueError(f"Run {run.pk} is not waiting for something the demo can send.")
