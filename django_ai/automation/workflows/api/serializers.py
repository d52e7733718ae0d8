"""Read serializers for runs and their history, and the inputs of the operator endpoints."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from .. import registry
from ..models import StepExecution, WorkflowRun


class ErrorTextField(serializers.CharField):
    """Full error text (with traceback) for staff; only its first line for everyone else."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: Any) -> str:
        text = str(value or "")
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and user.is_staff:
            return text
        return text.split("\n", 1)[0]


class StepExecutionSerializer(serializers.ModelSerializer):
    error = ErrorTextField()

    class Meta:
        model = StepExecution
        fields = ["step_name", "status", "error", "attempt", "created_at"]


class RunSerializer(serializers.ModelSerializer):
    """A run in the list: where it is, without its data or history."""

    parent_run_id = serializers.IntegerField(read_only=True, allow_null=True)
    error = ErrorTextField()

    class Meta:
        model = WorkflowRun
        fields = ["id", "name", "version", "status", "current_step", "progress", "error",
                  "wake_at", "parent_run_id", "idempotency_key", "created_at", "updated_at",
                  "finished_at"]
        read_only_fields = fields


class RunDetailSerializer(RunSerializer):
    """One run: its Context, what a frontend should render now, and its step history."""

    current_step_display = serializers.JSONField(read_only=True)
    history = StepExecutionSerializer(source="step_executions", many=True, read_only=True)
    step_titles = serializers.SerializerMethodField()

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "data", "wait_kind", "waiting_for",
                  "completion_display", "waiting_display", "current_step_display", "history",
                  "kept_signals", "step_titles"]
        read_only_fields = fields

    def get_step_titles(self, run: WorkflowRun) -> dict[str, str]:
        """Each step's declared title (its name when it declares none), for a timeline."""
        spec = registry.find(run.name)
        if spec is None:
            return {}
        return {name: step.options.title or name for name, step in spec.steps.items()}


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class SignalSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    payload = serializers.DictField(required=False, default=dict)


class BroadcastSignalSerializer(serializers.Serializer):
    payload = serializers.DictField(required=False, default=dict)
