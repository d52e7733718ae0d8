"""Tests of the demo's workflows, written the way a project tests its own: ``time_machine``
runs the steps in-process and moves the clock only when told. Run them with
``python manage.py test demo`` (the package's suite runs them too)."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.test import TestCase
from django.utils import timezone

from django_ai.automation.testing import time_machine
from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowRun, WorkflowStatus

from .models import Appointment, Notification, Order


def steps(run):
    return list(run.step_executions.values_list("step_name", "status"))


class OnboardingTests(TestCase):
    def test_profile_signal_completes_the_run(self):
        with time_machine():
            run = engine.start("user_onboarding", email="ada@example.com")
            self.assertEqual(run.status, WorkflowStatus.SUSPENDED)
            self.assertEqual(run.current_step, "wait_for_profile")
            self.assertTrue(run.data["email_sent"])
            engine.signal("profile_completed", {"full_name": "Ada"}, run_id=run.pk)
        run.refresh_from_db()
        self.assertEqual(run.status, WorkflowStatus.COMPLETED)
        self.assertEqual(run.completion_display["display_title"], "Welcome, Ada!")
        self.assertEqual(Notification.objects.filter(recipient_email="ada@example.com").count(), 1)

    def test_timeouts_nudge_twice_then_fail(self):
        with time_machine() as tm:
            run = engine.start("user_onboarding", email="ken@example.com")
            tm.advance(timedelta(minutes=2))
            run.refresh_from_db()
            self.assertEqual((run.current_step, run.data["nudges_sent"]), ("wait_for_profile", 1))
            tm.advance(timedelta(minutes=4))
        run.refresh_from_db()
        self.assertEqual(run.status, WorkflowStatus.FAILED)
        self.assertIn("never completed their profile", run.error)
        self.assertEqual(Notification.objects.count(), 3)  # welcome + two nudges


class OrderTests(TestCase):
    def start_order(self, **fields):
        order = Order.objects.create(customer_email="bo@example.com", total=40, **fields)
        run = engine.start("order_processing", order_id=order.pk, customer_email="bo@example.com")
        return order, run

    def pay(self, order):
        order.paid = True
        # The payment event occurs after the save commits.
        with self.captureOnCommitCallbacks(execute=True):
            order.save()

    def test_payment_event_resumes_and_the_order_ships(self):
        with time_machine():
            order, run = self.start_order()
            self.assertEqual(run.current_step, "wait_for_payment")
            self.assertEqual(run.current_step_display["waiting_display"]["display_waiting_for"],
                             "Payment confirmation")
            self.pay(order)
        run.refresh_from_db()
        order.refresh_from_db()
        self.assertEqual(run.status, WorkflowStatus.COMPLETED, run.error)
        self.assertEqual(order.tracking_number, f"TRK{order.pk:07d}")
        self.assertTrue(WorkflowRun.objects.filter(parent_run=run, name="send_notification",
                                                   status="completed").exists())

    def test_shipping_failure_compensates(self):
        with time_machine() as tm:
            order, run = self.start_order(undeliverable=True)
            self.pay(order)
            tm.advance(timedelta(seconds=5))  # past the one retry of ship_order
        run.refresh_from_db()
        order.refresh_from_db()
        self.assertEqual(run.status, WorkflowStatus.FAILED)
        self.assertIn("ShippingError", run.error)
        self.assertEqual(steps(run)[-1], ("ship_order", "failed"))
        self.assertTrue(order.refunded and order.released)
        self.assertTrue(run.data["refunded"] and run.data["released"])

    def test_no_payment_within_ten_minutes_refunds_the_charge(self):
        with time_machine() as tm:
            order, run = self.start_order()
            tm.advance(timedelta(minutes=10))
        run.refresh_from_db()
        order.refresh_from_db()
        self.assertEqual(run.status, WorkflowStatus.FAILED)
        self.assertIn("Payment was not received in time", run.error)
        self.assertTrue(order.refunded)
        self.assertFalse(order.released)  # nothing was reserved


class ExpenseTests(TestCase):
    def test_review_form_submission_completes(self):
        with time_machine():
            run = engine.start("expense_approval", employee="Grace", amount="€20", purpose="lunch")
            display = run.current_step_display
            self.assertEqual(display["step_type"], "action")
            groups = [g["field_names"] for g in display["step_display"]["field_groups"]]
            self.assertEqual(groups, [["decision", "priority"], ["reviewer_notes"]])
            engine.submit_action(run.pk, "await_review", {
                "decision": "approve", "priority": "high", "reviewer_notes": "ok"})
        run.refresh_from_db()
        self.assertEqual(run.status, WorkflowStatus.COMPLETED)
        self.assertEqual(run.completion_display["display_title"], "Expense approved")


class ReminderTests(TestCase):
    def test_reminder_runs_an_hour_before_the_appointment(self):
        with time_machine() as tm:
            starts_at = timezone.now() + timedelta(hours=3)
            with self.captureOnCommitCallbacks(execute=True):
                appointment = Appointment.objects.create(customer_email="al@example.com",
                                                         starts_at=starts_at)
            run = WorkflowRun.objects.get(name="appointment_reminder")
            self.assertEqual(run.status, WorkflowStatus.WAITING)
            self.assertEqual(run.wake_at, starts_at - timedelta(hours=1))
            tm.advance(timedelta(hours=1, minutes=59))
            run.refresh_from_db()
            self.assertEqual(run.status, WorkflowStatus.WAITING)
            tm.advance(timedelta(minutes=1))
        run.refresh_from_db()
        appointment.refresh_from_db()
        self.assertEqual(run.status, WorkflowStatus.COMPLETED)
        self.assertTrue(appointment.reminded)


class PageTests(TestCase):
    def setUp(self):
        self.user = get_user_model().objects.create_user("demo", password="demo")
        self.client.force_login(self.user)

    def test_start_button_redirects_to_the_run_page(self):
        with time_machine():
            response = self.client.post("/start/expense/")
        run = WorkflowRun.objects.get()
        self.assertRedirects(response, f"/runs/{run.pk}/")
        page = self.client.get(f"/runs/{run.pk}/")
        self.assertContains(page, "expense_approval")

    def test_form_description_lists_choices(self):
        with time_machine():
            run = engine.start("expense_approval", started_by=self.user, employee="A",
                               amount="€1", purpose="pens")
        described = self.client.get(f"/demo-api/runs/{run.pk}/form/").json()
        self.assertEqual(described["action"], "submit_review")
        decision = next(f for f in described["fields"] if f["name"] == "decision")
        self.assertEqual([c["value"] for c in decision["choices"]], ["approve", "reject"])


class SafetyTests(TestCase):
    """The demo is safe to leave running: its pages follow the package's visibility rule,
    refuse to be framed, and the start-up notice says what is a demo shortcut."""

    def setUp(self):
        users = get_user_model()
        self.alice = users.objects.create_user("alice", password="pw")
        self.bob = users.objects.create_user("bob", password="pw")
        self.client.force_login(self.alice)

    def test_a_started_run_records_its_starter(self):
        with time_machine():
            self.client.post("/start/expense/")
        self.assertEqual(WorkflowRun.objects.get().started_by, self.alice)

    def test_other_users_runs_are_hidden(self):
        with time_machine():
            bobs = engine.start("expense_approval", started_by=self.bob, employee="B",
                                amount="€2", purpose="ink")
            mine = engine.start("expense_approval", started_by=self.alice, employee="A",
                                amount="€1", purpose="pens")
        home = self.client.get("/")
        self.assertEqual([run.pk for run in home.context["runs"]], [mine.pk])
        self.assertEqual(self.client.get(f"/runs/{bobs.pk}/").status_code, 404)
        self.assertEqual(self.client.get(f"/demo-api/runs/{bobs.pk}/form/").status_code, 404)
        self.assertEqual(
            self.client.post(f"/demo-api/runs/{bobs.pk}/outside-world/").status_code, 404)
        self.assertEqual(self.client.get(f"/runs/{mine.pk}/").status_code, 200)

    def test_staff_see_every_run(self):
        with time_machine():
            bobs = engine.start("expense_approval", started_by=self.bob, employee="B",
                                amount="€2", purpose="ink")
        self.alice.is_staff = True
        self.alice.save()
        self.assertEqual(self.client.get(f"/runs/{bobs.pk}/").status_code, 200)

    def test_pages_refuse_to_be_framed(self):
        self.assertEqual(self.client.get("/")["X-Frame-Options"], "DENY")
        self.assertEqual(self.client.get("/login/")["X-Frame-Options"], "DENY")

    def test_start_up_notice_says_it_is_a_demo(self):
        from django.test import override_settings

        from .management.commands.rundemo import demo_notice

        get_user_model().objects.create_superuser("demo", password="demo")
        with override_settings(DEBUG=True):
            text = "\n".join(demo_notice("127.0.0.1:8000"))
        self.assertIn("DEMO", text)
        self.assertIn("DEBUG is on", text)
        self.assertIn("fixed, public demo key", text)
        self.assertIn("demo / demo is a superuser", text)
        self.assertIn("serves 127.0.0.1 only", text)
        self.assertIn("WARNING: it serves 0.0.0.0", "\n".join(demo_notice("0.0.0.0:8000")))
