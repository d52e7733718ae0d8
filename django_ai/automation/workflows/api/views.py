"""DRF views: list and read runs, submit action steps, and staff-only cancel/retry/signal."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..action_checks import action_steps, find_action
from ..engine import engine
from ..errors import SignalPayloadError, WorkflowError
from ..models import StepExecution, WorkflowRun, WorkflowStatus
from .failures import exception_handler
from .inputs import input_serializer
from .openapi import document, view_schema
from .pagination import HistoryPagination, run_pagination_class
from .permissions import api_permissions, check_action_access, staff_permissions, visible_runs
from .serializers import (
    BroadcastSignalSerializer,
    CancelSerializer,
    RunDetailSerializer,
    RunSerializer,
    SignalSerializer,
    StepExecutionSerializer,
)
from .strict_json import StrictJSONParser
from .submission import ActionProblem, shape_response, submit


class _ApiView:
    schema = view_schema()
    # JSON the database cannot store (1e999, NUL, deep nesting) is a 400 before any engine call.
    parser_classes = [StrictJSONParser, FormParser, MultiPartParser]

    def get_permissions(self) -> list[Any]:
        return api_permissions()

    def get_exception_handler(self) -> Any:
        return exception_handler


class RunListView(_ApiView, generics.ListAPIView):
    """Runs the user may see, newest first, a page at a time (``?page=``, ``?page_size=``);
    filter with ``?name=``, ``?idempotency_key=`` and ``?status=`` (a status or a
    comma-separated list)."""

    serializer_class = RunSerializer

    @property
    def pagination_class(self) -> Any:
        return run_pagination_class()

    def get_queryset(self) -> QuerySet:
        runs = visible_runs(self.request, WorkflowRun.objects.all())
        params = self.request.query_params
        if params.get("name"):
            runs = runs.filter(name=params["name"])
        if params.get("idempotency_key"):
            runs = runs.filter(idempotency_key=params["idempotency_key"])
        wanted = [s for value in params.getlist("status") for s in value.split(",") if s]
        unknown = sorted(set(wanted) - set(WorkflowStatus.values))
        if unknown:
            raise ValidationError({"status": [f"Unknown status {', '.join(unknown)}; use one "
                                              f"of {', '.join(WorkflowStatus.values)}."]})
        return runs.filter(status__in=wanted) if wanted else runs


class RunDetailView(_ApiView, generics.RetrieveAPIView):
    """One run with ``current_step_display``, progress, Context and its latest history
    (``history_url`` has the rest)."""

    serializer_class = RunDetailSerializer

    def get_queryset(self) -> QuerySet:
        return visible_runs(self.request)


class RunHistoryView(_ApiView, generics.ListAPIView):
    """A run's step history, oldest first, a page at a time (``?page=``, ``?page_size=``)."""

    serializer_class = StepExecutionSerializer
    pagination_class = HistoryPagination

    def get_queryset(self) -> QuerySet:
        visible = visible_runs(self.request)
        run = generics.get_object_or_404(visible, pk=self.kwargs["pk"])
        return StepExecution.objects.filter(run=run).order_by("id")


class RunDisplayView(_ApiView, generics.GenericAPIView):
    """Only ``current_step_display``: the light response a frontend polls (one query)."""

    serializer_class = RunSerializer

    def get_queryset(self) -> QuerySet:
        return visible_runs(self.request)

    @document(responses={200: {"type": "object"}})
    def get(self, request: Request, pk: int) -> Response:
        return Response(self.get_object().current_step_display)


class _StaffRunOperation(_ApiView, generics.GenericAPIView):
    serializer_class = RunDetailSerializer

    def get_permissions(self) -> list[Any]:
        return staff_permissions()

    def get_queryset(self) -> QuerySet:
        return visible_runs(self.request)

    def _answer(self, run: WorkflowRun, **extra: Any) -> Response:
        run.refresh_from_db()
        return Response({**RunDetailSerializer(run, context=self.get_serializer_context()).data,
                         **extra})

    @staticmethod
    def _conflict(run: WorkflowRun, message: str) -> Response:
        run.refresh_from_db()
        return Response({"detail": message, "status": run.status,
                         "current_step": run.current_step, "wait_kind": run.wait_kind,
                         "waiting_for": run.waiting_for}, status=status.HTTP_409_CONFLICT)


class RunCancelView(_StaffRunOperation):
    """Cancel a run (and its active subworkflows). Staff only."""

    @document(request=CancelSerializer, responses=RunDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        run = self.get_object()
        inputs = CancelSerializer(data=request.data)
        inputs.is_valid(raise_exception=True)
        try:
            cancelled = engine.cancel(run.pk, inputs.validated_data.get("reason") or None)
        except WorkflowError as exc:
            return self._conflict(run, str(exc))
        if not cancelled:
            return self._conflict(run, f"Run {run.pk} had already finished ({run.status}).")
        return self._answer(run)


class RunRetryView(_StaffRunOperation):
    """Retry a failed run (or one waiting out a retry backoff) now. Staff only.

    409 with the run's status when the engine refuses: another state, a subworkflow whose
    parent is active, or a workflow or step this process no longer has.
    """

    @document(request=None, responses={200: RunDetailSerializer, 409: None})
    def post(self, request: Request, pk: int) -> Response:
        run = self.get_object()
        try:
            engine.retry_current_step(run.pk)
        except WorkflowError as exc:  # RunStateError, or UnknownWorkflowError after a deploy
            return self._conflict(run, str(exc))
        return self._answer(run)


class RunSignalView(_StaffRunOperation):
    """Send signal ``name`` with ``payload`` to this run only. Staff only.

    200 with ``resumed`` (1 when the run was waiting for it) and ``kept`` (true when the run is
    active but not waiting for it yet: its next wait for the signal takes it); 409 when the run
    has finished, so no signal can reach it.
    """

    @document(request=SignalSerializer, responses=RunDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        run = self.get_object()
        inputs = SignalSerializer(data=request.data)
        inputs.is_valid(raise_exception=True)
        data = inputs.validated_data
        try:
            outcome = engine.signal(data["name"], data["payload"], run_id=run.pk)
        except SignalPayloadError as exc:
            raise ValidationError({"payload": [str(exc)]})
        if not outcome and not outcome.kept:
            run.refresh_from_db()
            return self._conflict(run, f"Run {run.pk} is {run.status}: signal {data['name']!r} "
                                       "cannot reach it.")
        return self._answer(run, resumed=int(outcome), kept=bool(outcome.kept))


class SignalBroadcastView(_ApiView, APIView):
    """Send signal ``name`` to every run waiting for it that the user may see. Staff only."""

    def get_permissions(self) -> list[Any]:
        return staff_permissions()

    def _within(self) -> QuerySet | None:
        runs = WorkflowRun.objects.all()
        visible = visible_runs(self.request, runs)
        return None if visible is runs else visible

    @document(request=BroadcastSignalSerializer,
              responses={200: {"type": "object", "properties": {"resumed": {"type": "integer"}}}})
    def post(self, request: Request, name: str) -> Response:
        inputs = BroadcastSignalSerializer(data=request.data)
        inputs.is_valid(raise_exception=True)
        try:
            resumed = engine.signal(name, inputs.validated_data["payload"], within=self._within())
        except SignalPayloadError as exc:
            raise ValidationError({"payload": [str(exc)]})
        return Response({"resumed": resumed})


def _describe_field(name: str, field: serializers.Field) -> dict[str, Any]:
    return {"name": name, "type": type(field).__name__, "required": field.required,
            "label": field.label, "help_text": field.help_text}


class ActionListView(_ApiView, APIView):
    """The action steps this process serves: their fields and display metadata."""

    @document(responses={200: {"type": "array", "items": {"type": "object"}}})
    def get(self, request: Request) -> Response:
        actions = []
        for spec, step in sorted(action_steps(), key=lambda pair: pair[1].action.name):
            fields = input_serializer(step.action.serializer)().fields
            display = step.options.display
            actions.append({
                "name": step.action.name, "workflow": spec.name, "step": step.name,
                "fields": [_describe_field(name, field) for name, field in fields.items()],
                "step_display": display.to_dict() if display is not None else {},
            })
        return Response(actions)


class ActionSubmitView(_ApiView, APIView):
    """Submit action ``action_name``: ``workflow_run_id`` plus the action serializer's fields.

    200 with the run's new status and step; 400 invalid fields; 403 not permitted; 404 unknown
    action or run; 409 when the run is not waiting at this action's step.
    """

    @document(action_inputs=True,
              responses={200: {"type": "object"}, 400: None, 403: None, 404: None, 409: None})
    def post(self, request: Request, action_name: str) -> Response:
        action = find_action(action_name)
        if action is None:
            raise NotFound(f"No action named {action_name!r}.")
        check_action_access(action, request, self)
        inputs = input_serializer(action.serializer)(
            data=request.data, context=self.get_serializer_context())
        inputs.is_valid(raise_exception=True)
        try:
            outcome = submit(action_name, inputs.validated_data, request, self)
        except ActionProblem as problem:
            return Response(problem.body, status=problem.status_code)
        code, body = shape_response(action, outcome)
        return Response(body, status=code)

    def get_serializer_context(self) -> dict[str, Any]:
        return {"request": self.request, "view": self, "format": self.format_kwarg}
