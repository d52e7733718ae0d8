"""Workflows with action steps for the API tests, declared at import as a user's app would.

The guide's "StateZero Integration" and "Display Metadata" examples are written as in the guide,
except that workflow and action names carry an ``api_`` prefix: acceptance tests may declare the
guide's classes under the guide's own names in the same process.
"""

import time
from datetime import timedelta

from pydantic import BaseModel
from rest_framework import serializers
from rest_framework.permissions import BasePermission

from django_ai.automation.workflows.core import (
    Retry,
    complete,
    get_context,
    goto,
    step,
    wait,
    wait_for_event,
    workflow,
)
from django_ai.automation.workflows.metadata import (
    FieldDisplayConfig,
    FieldGroup,
    StepDisplayMetadata,
)
from django_ai.automation.workflows.statezero_action import statezero_action
from tests.testapp.models import Ledger

# --- The guide's "StateZero Integration" example -------------------------------------------


class ReviewSerializer(serializers.Serializer):
    workflow_run_id = serializers.IntegerField()
    reviewer_notes = serializers.CharField(max_length=500)
    priority = serializers.ChoiceField(choices=["low", "medium", "high"])


@workflow("api_expense_approval")
class ExpenseApprovalWorkflow:
    class Context(BaseModel):
        reviewer_notes: str = ""
        priority: str = "medium"

    @step(start=True)
    def start_review(self):
        return goto(self.await_review)

    @statezero_action(name="api_submit_review", serializer=ReviewSerializer)
    @step(
        display=StepDisplayMetadata(
            display_title="Review Expense",
            display_description="Please review and approve or reject",
            field_groups=[
                FieldGroup(
                    display_title="Review Details",
                    field_names=["reviewer_notes", "priority"]
                )
            ]
        )
    )
    def await_review(self, reviewer_notes: str, priority: str):
        ctx = get_context()
        ctx.reviewer_notes = reviewer_notes
        ctx.priority = priority
        return complete(
            display_title="Review Complete",
            display_subtitle="Expense has been reviewed"
        )


# --- The guide's "Example: Complete workflow with rich display" ----------------------------


class PropertyDetailsSerializer(serializers.Serializer):
    property_name = serializers.CharField(max_length=200)
    property_type = serializers.ChoiceField(choices=["house", "apartment", "cabin"])


@workflow("api_property_onboarding")
class PropertyOnboardingWorkflow:
    class Context(BaseModel):
        property_id: int = 0
        property_name: str = ""
        owner_name: str = ""

    @statezero_action(name="api_property_details", serializer=PropertyDetailsSerializer)
    @step(
        start=True,
        display=StepDisplayMetadata(
            display_title="Property Details",
            display_description="Tell us about your property",
            field_groups=[
                FieldGroup(
                    display_title="Basic Information",
                    field_names=["property_name", "property_type"]
                )
            ]
        )
    )
    def collect_details(self, property_name: str, property_type: str):
        ctx = get_context()
        ctx.property_name = property_name
        return goto(self.verify_ownership)

    @wait_for_event(
        "ownership_verified",
        timeout=timedelta(minutes=30),
        display_title="Verifying Ownership",
        display_subtitle="Please complete verification in your email",
        display_waiting_for="Email verification"
    )
    @step()
    def verify_ownership(self):
        return goto(self.finalize)

    @step()
    def finalize(self):
        ctx = get_context()
        return complete(
            display_title="Welcome to the Platform! 🎉",
            display_subtitle=f"{ctx.property_name} is now live and ready for bookings"
        )


# --- The guide's "Step Display Metadata" example (PropertySerializer) ----------------------


class PropertySerializer(serializers.Serializer):
    workflow_run_id = serializers.IntegerField()
    property_name = serializers.CharField()
    property_type = serializers.CharField()
    bedrooms = serializers.IntegerField()
    email = serializers.EmailField()
    amenities = serializers.ListField()


@workflow("api_property_listing")
class PropertyListingWorkflow:
    class Context(BaseModel):
        property_name: str = ""

    @statezero_action(name="api_collect_property_info", serializer=PropertySerializer)
    @step(
        start=True,
        display=StepDisplayMetadata(
            display_title="Set Up Your Property",
            display_description="Enter property details to get started with your listing",
            field_groups=[
                FieldGroup(
                    display_title="Property Information",
                    display_description="Basic details about your listing",
                    field_names=["property_name", "property_type", "bedrooms"]
                ),
                FieldGroup(
                    display_title="Contact Details",
                    display_description="How guests can reach you",
                    field_names=["email"]
                )
            ],
            field_display_configs=[
                FieldDisplayConfig(
                    field_name="amenities",
                    display_component="AmenitiesMultiSelect",
                    filter_queryset={"is_active": True, "category": "essential"},
                    display_help_text="Select all amenities that apply"
                )
            ]
        )
    )
    def collect_property_info(self, property_name: str, property_type: str,
                              bedrooms: int, email: str, amenities: list):
        ctx = get_context()
        ctx.property_name = property_name
        return goto(self.next_step)

    @step()
    def next_step(self):
        return complete(display_title="Listed")


# --- Ownership, permissions, request, failures and races -----------------------------------


class ApprovalSerializer(serializers.Serializer):
    """No workflow_run_id here: the endpoint adds it without touching this class."""

    approved = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")

    def validate_comment(self, value):
        if "forbidden" in value:
            raise serializers.ValidationError("That word is not allowed.")
        return value


class IsApprover(BasePermission):
    message = "Only approvers may approve."

    def has_permission(self, request, view):
        return request.user.groups.filter(name="approvers").exists()


@workflow("owned_approval")
class OwnedApprovalWorkflow:
    class Context(BaseModel):
        owner: str = ""
        approved: bool = False
        approved_by: str = ""
        comment: str = ""

    @statezero_action(name="approve_owned", serializer=ApprovalSerializer,
                      permissions=[IsApprover])
    @step(start=True)
    def approve(self, approved: bool, comment: str, request):
        ctx = get_context()
        ctx.approved = approved
        ctx.approved_by = request.user.username
        ctx.comment = comment
        return goto(self.second_approval, progress=0.5)

    @statezero_action(name="confirm_owned", serializer=ApprovalSerializer)
    @step()
    def second_approval(self, approved: bool, **extra):
        return complete(display_title="Confirmed" if approved else "Declined")


class AmountSerializer(serializers.Serializer):
    amount = serializers.IntegerField()


class AmountResponseSerializer(serializers.Serializer):
    workflow_run_id = serializers.IntegerField()
    status = serializers.CharField()


@workflow("checked_amount")
class CheckedAmountWorkflow:
    class Context(BaseModel):
        amount: int = 0

    @statezero_action(name="enter_amount", serializer=AmountSerializer,
                      response_serializer=AmountResponseSerializer)
    @step(start=True)
    def enter(self, amount: int):
        ctx = get_context()
        ctx.amount = amount
        if amount < 0:
            raise serializers.ValidationError({"amount": ["Must not be negative."]})
        if amount == 13:
            raise RuntimeError("unlucky amount")
        return complete()


SLOW_SECONDS = 0.3


class SlowSerializer(serializers.Serializer):
    label = serializers.CharField()


@workflow("slow_action")
class SlowActionWorkflow:
    class Context(BaseModel):
        labels: list[str] = []

    @statezero_action(name="slow_submit", serializer=SlowSerializer)
    @step(start=True)
    def slow(self, label: str):
        # Hold the row lock long enough that a second submission is surely waiting on it.
        time.sleep(SLOW_SECONDS)
        get_context().labels.append(label)
        return complete()


# --- Operator endpoints: a step that fails until fixed, and a signal wait ------------------

FLAKY = {"fixed": False}


@workflow("api_flaky", default_retry=Retry(max_attempts=1))
class ApiFlakyWorkflow:
    class Context(BaseModel):
        done: bool = False

    @step(start=True)
    def attempt(self):
        if not FLAKY["fixed"]:
            raise RuntimeError("service unavailable")
        get_context().done = True
        return complete()


@workflow("api_signal_wait")
class ApiSignalWaitWorkflow:
    class Context(BaseModel):
        answer: str = ""

    @step(start=True)
    def ask(self):
        return wait.for_signal("api_answer")

    @step()
    def answered(self):
        return complete(display_title=f"Answer: {get_context().answer}")


# --- The guide's "Summary: Complete Display Metadata Example" ------------------------------


class InfoSerializer(serializers.Serializer):
    user_name = serializers.CharField(max_length=100)


@workflow("api_comprehensive_workflow")
class ComprehensiveWorkflow:
    class Context(BaseModel):
        user_name: str = ""
        items_count: int = 0

    @statezero_action(name="api_collect_info", serializer=InfoSerializer)
    @step(
        start=True,
        display=StepDisplayMetadata(
            display_title="Welcome!",
            display_description="Let's get started",
            field_groups=[
                FieldGroup(
                    display_title="Your Information",
                    field_names=["user_name"]
                )
            ]
        )
    )
    def collect_info(self, user_name: str):
        ctx = get_context()
        ctx.user_name = user_name
        return goto(self.process, progress=0.33)

    @step()
    def process(self):
        ctx = get_context()
        ctx.items_count = 42
        return goto(self.wait_for_confirmation, progress=0.67)

    @wait_for_event(
        "confirmation_received",
        display_title="Waiting for Confirmation",
        display_subtitle="Please check your email",
        display_waiting_for="Email confirmation"
    )
    @step()
    def wait_for_confirmation(self):
        return goto(self.finish)

    @step()
    def finish(self):
        ctx = get_context()
        return complete(
            display_title=f"All Done, {ctx.user_name}!",
            display_subtitle=f"Successfully processed {ctx.items_count} items"
        )


# --- A ModelSerializer as the action's serializer, and the body's own database writes ------


class LedgerNoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ledger
        fields = ["note"]


@workflow("ledger_note")
class LedgerNoteWorkflow:
    class Context(BaseModel):
        note: str = ""

    @statezero_action(name="write_ledger_note", serializer=LedgerNoteSerializer)
    @step(start=True, display=StepDisplayMetadata(field_groups=[FieldGroup(field_names=["note"])]))
    def write(self, note: str):
        Ledger.objects.create(run_id=0, note=note)
        if note == "boom":
            raise RuntimeError("the ledger write above must roll back")
        get_context().note = note
        return complete()
