"""Read serializers for runs and their history, and the inputs of the operator endpoints."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch
from rest_framework import serializers
from rest_framework.reverse import reverse

from ....conf import ai_settings
from .. import registry
from ..models import StepExecution, WorkflowRun
from .strict_json import storable


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
    started_by = serializers.IntegerField(source="started_by_id", read_only=True,
                                          allow_null=True)
    error = ErrorTextField()

    class Meta:
        model = WorkflowRun
        fields = ["id", "name", "version", "status", "current_step", "progress", "error",
                  "wake_at", "parent_run_id", "started_by", "idempotency_key", "created_at",
                  "updated_at",
                  "finished_at"]
        read_only_fields = fields


class RunDetailSerializer(RunSerializer):
    """One run: its Context, what a frontend should render now, and its latest history.

    ``history`` holds the latest ``DJANGO_AI["API_DETAIL_HISTORY"]`` rows, oldest first;
    ``history_truncated`` says whether there are older ones, and ``history_url`` is the
    paginated endpoint with all of them.
    """

    current_step_display = serializers.JSONField(read_only=True)
    history = serializers.SerializerMethodField()
    history_truncated = serializers.SerializerMethodField()
    history_url = serializers.SerializerMethodField()
    step_titles = serializers.SerializerMethodField()

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "data", "wait_kind", "waiting_for",
                  "completion_display", "waiting_display", "current_step_display", "history",
                  "history_truncated", "history_url", "kept_signals", "step_titles"]
        read_only_fields = fields

    def _recent(self, run: WorkflowRun) -> tuple[list[StepExecution], bool]:
        cache = self.__dict__.setdefault("_recent_history", {})
        if run.pk not in cache:  # one query for the rows and whether more exist
            limit = int(ai_settings()["API_DETAIL_HISTORY"])
            rows = list(run.step_executions.order_by("-id")[: limit + 1])
            cache[run.pk] = (rows[:limit][::-1], len(rows) > limit)
        return cache[run.pk]

    def get_history(self, run: WorkflowRun) -> list[dict[str, Any]]:
        rows, _ = self._recent(run)
        return StepExecutionSerializer(rows, many=True, context=self.context).data

    def get_history_truncated(self, run: WorkflowRun) -> bool:
        return self._recent(run)[1]

    def get_history_url(self, run: WorkflowRun) -> str | None:
        try:
            return reverse("django_ai_workflows:run-history", args=[run.pk],
                           request=self.context.get("request"))
        except NoReverseMatch:  # the API's urls are mounted under another namespace
            return None

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
    payload = serializers.DictField(required=False, default=dict, validators=[storable])


class BroadcastSignalSerializer(serializers.Serializer):
    payload = serializers.DictField(required=False, default=dict, validators=[storable])
