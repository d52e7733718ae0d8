"""@statezero_action at decoration time, and the start-up checks over action steps."""

import pytest
from pydantic import BaseModel
from rest_framework import serializers

from django_ai.automation.workflows import registry
from django_ai.automation.workflows.action_checks import check_actions
from django_ai.automation.workflows.core import complete, step, workflow
from django_ai.automation.workflows.errors import WorkflowDefinitionError
from django_ai.automation.workflows.metadata import (
    FieldDisplayConfig,
    FieldGroup,
    StepDisplayMetadata,
)
from django_ai.automation.workflows.statezero_action import statezero_action
from tests.api.workflows_api import ApprovalSerializer, ReviewSerializer


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField()


@pytest.fixture
def throwaway():
    names = []
    yield names
    for name in names:
        registry.unregister(name)


def test_display_naming_a_missing_field_fails_at_decoration():
    with pytest.raises(WorkflowDefinitionError) as info:
        @statezero_action(name="bad_display_action", serializer=NoteSerializer)
        @step(start=True, display=StepDisplayMetadata(
            field_groups=[FieldGroup(display_title="G", field_names=["note", "notes"])]))
        def collect(self, note):
            return complete()
    message = str(info.value)
    assert "'notes'" in message and "NoteSerializer" in message and "bad_display_action" in message


def test_field_display_config_naming_a_missing_field_fails_at_decoration():
    with pytest.raises(ValueError, match="'colour'"):  # also a WorkflowDefinitionError
        @statezero_action(name="bad_config_action", serializer=NoteSerializer)
        @step(start=True, display=StepDisplayMetadata(
            field_display_configs=[FieldDisplayConfig(field_name="colour")]))
        def collect(self, note):
            return complete()


def test_the_users_serializer_class_is_never_modified():
    assert list(ReviewSerializer._declared_fields) == ["workflow_run_id", "reviewer_notes",
                                                       "priority"]
    assert list(ApprovalSerializer._declared_fields) == ["approved", "comment"]
    assert "workflow_run_id" not in ApprovalSerializer().fields


@pytest.mark.parametrize("kwargs, error", [
    ({"name": "", "serializer": NoteSerializer}, ValueError),
    ({"name": "x", "serializer": dict}, TypeError),
    ({"name": "x", "serializer": NoteSerializer, "response_serializer": 3}, TypeError),
    ({"name": "x", "serializer": NoteSerializer, "permissions": [42]}, TypeError),
])
def test_bad_arguments_are_refused(kwargs, error):
    with pytest.raises(error):
        statezero_action(**kwargs)


def _declare(name, action_name, **step_kwargs):
    @workflow(name)
    class Declared:
        class Context(BaseModel):
            note: str = ""

        @statezero_action(name=action_name, serializer=NoteSerializer)
        @step(start=True, **step_kwargs)
        def collect(self, note):
            return complete()

    return Declared


def test_two_actions_with_one_name_are_a_startup_error(throwaway):
    throwaway += ["dup_action_a", "dup_action_b"]
    _declare("dup_action_a", "shared_action_name")
    assert not [e for e in check_actions() if e.id == "django_ai.E030"]
    _declare("dup_action_b", "shared_action_name")
    errors = [e for e in check_actions() if e.id == "django_ai.E030"]
    assert len(errors) == 1
    assert "shared_action_name" in errors[0].msg
    assert "dup_action_a.collect" in errors[0].msg and "dup_action_b.collect" in errors[0].msg


def test_redeclaring_the_same_workflow_is_not_a_duplicate(throwaway):
    throwaway.append("redeclared_action_wf")
    _declare("redeclared_action_wf", "redeclared_action")
    _declare("redeclared_action_wf", "redeclared_action")
    assert not [e for e in check_actions() if e.id == "django_ai.E030"]


def test_display_checked_when_step_stands_above_the_action(throwaway):
    throwaway.append("reversed_order_wf")

    @workflow("reversed_order_wf")
    class Reversed:
        class Context(BaseModel):
            note: str = ""

        @step(start=True, display=StepDisplayMetadata(
            field_groups=[FieldGroup(field_names=["missing_field"])]))
        @statezero_action(name="reversed_order_action", serializer=NoteSerializer)
        def collect(self, note):
            return complete()

    errors = [e for e in check_actions() if e.id == "django_ai.E031"]
    assert len(errors) == 1 and "missing_field" in errors[0].msg


def test_serializer_fields_the_step_does_not_take_are_warned_about(throwaway):
    throwaway.append("narrow_step_wf")

    @workflow("narrow_step_wf")
    class Narrow:
        class Context(BaseModel):
            pass

        @statezero_action(name="narrow_step_action", serializer=NoteSerializer)
        @step(start=True)
        def collect(self):
            return complete()

    warnings = [e for e in check_actions() if e.id == "django_ai.W030"]
    assert len(warnings) == 1 and "note" in warnings[0].msg


def test_the_guide_examples_pass_the_checks():
    mine = ("api_expense_approval.", "api_property_onboarding.", "api_property_listing.",
            "owned_approval.")
    assert [e for e in check_actions() if any(name in e.msg for name in mine)] == []


@pytest.mark.parametrize("make", [
    lambda: FieldGroup(field_names="email"),
    lambda: FieldGroup(field_names=["email", 3]),
    lambda: FieldDisplayConfig(field_name=""),
    lambda: FieldDisplayConfig(field_name="tags", filter_queryset=["active"]),
    lambda: StepDisplayMetadata(field_groups=["email"]),
])
def test_metadata_refuses_malformed_values(make):
    with pytest.raises(TypeError):
        make()


def test_metadata_serialises_as_the_guide_shows():
    display = StepDisplayMetadata(
        display_title="T", display_description="D",
        field_groups=[FieldGroup(display_title="G", field_names=("a", "b"))],
        field_display_configs=[FieldDisplayConfig(field_name="a", display_component="Picker")])
    assert display.to_dict() == {
        "display_title": "T", "display_description": "D",
        "field_groups": [{"display_title": "G", "display_description": "",
                          "field_names": ["a", "b"]}],
        "field_display_configs": [{"field_name": "a", "display_component": "Picker",
                                   "filter_queryset": None, "display_help_text": None}],
    }


def test_duplicate_action_names_fail_django_system_checks(throwaway):
    from django.core import checks

    throwaway += ["dup_check_a", "dup_check_b"]
    _declare("dup_check_a", "dup_check_action")
    _declare("dup_check_b", "dup_check_action")
    errors = [e for e in checks.run_checks() if e.id == "django_ai.E030"]
    assert errors and errors[0].is_serious()


def test_an_action_that_is_not_a_step_is_reported(throwaway):
    throwaway.append("action_without_step_wf")

    @workflow("action_without_step_wf")
    class NoStep:
        class Context(BaseModel):
            pass

        @step(start=True)
        def begin(self):
            return complete()

        @statezero_action(name="action_without_step", serializer=NoteSerializer)
        def orphan(self, note):
            return complete()

    errors = [e for e in check_actions() if e.id == "django_ai.E033"]
    assert len(errors) == 1 and "'orphan'" in errors[0].msg
