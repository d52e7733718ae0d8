"""The input of an action endpoint: ``workflow_run_id`` plus the action's own serializer.

The user's serializer class is never modified (whether or not it declares ``workflow_run_id``):
a separate serializer wraps it, shows its fields beside ``workflow_run_id`` and lets it validate
the submitted data itself, so its own ``validate_<field>()`` and ``validate()`` still apply.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from typing import Any

from rest_framework import serializers
from rest_framework.fields import empty

from ..action_checks import RUN_ID_FIELD


class ActionInput(serializers.Serializer):
    """Base of the generated input serializers; ``action_serializer`` is set per action."""

    workflow_run_id = serializers.IntegerField(
        min_value=1, help_text="The id of the workflow run whose action step is submitted."
    )
    action_serializer: type[serializers.BaseSerializer]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        inner = self.action_serializer(context=self.context)
        for name, field in inner.fields.items():
            if name != RUN_ID_FIELD:
                fields[name] = copy.deepcopy(field)
        return fields

    def run_validation(self, data: Any = empty) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise serializers.ValidationError(
                {"non_field_errors": ["Send a JSON object with workflow_run_id and the fields."]}
            )
        errors: dict[str, Any] = {}
        run_id = None
        try:
            run_id = self.fields[RUN_ID_FIELD].run_validation(data.get(RUN_ID_FIELD, empty))
        except serializers.ValidationError as exc:
            errors[RUN_ID_FIELD] = exc.detail
        inner = self.action_serializer(data=data, context=self.context)
        if not inner.is_valid():
            errors = {**inner.errors, **errors}
        if errors:
            raise serializers.ValidationError(errors)
        values = {key: value for key, value in inner.validated_data.items()
                  if key != RUN_ID_FIELD}
        return {RUN_ID_FIELD: run_id, **values}


@cache
def input_serializer(action_serializer: type[serializers.BaseSerializer]) -> type[ActionInput]:
    """The input serializer class for an action whose own serializer is ``action_serializer``."""
    return type(
        f"{action_serializer.__name__}Input",
        (ActionInput,),
        {"action_serializer": action_serializer, "__module__": __name__,
         "__doc__": action_serializer.__doc__ or f"Input of {action_serializer.__name__}."},
    )
