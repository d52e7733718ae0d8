"""Small JSON views the page uses beside the package's REST API.

``form`` describes an action step's serializer fields (type, choices, limits) so the page can
build inputs for the field names that ``step_display`` lists; ``outside_world`` plays the
signal or event a demo run waits for; ``outbox`` lists the messages the workflows sent.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET, require_POST
from rest_framework import serializers

from django_ai.automation.workflows import registry
from django_ai.automation.workflows.api.permissions import visible_runs

from .models import Notification
from .starters import play_outside_world


def _describe(name: str, field: serializers.Field) -> dict[str, Any]:
    info: dict[str, Any] = {
        "name": name,
        "label": field.label or name.replace("_", " ").capitalize(),
        "required": field.required,
        "type": "text",
    }
    if isinstance(field, serializers.ChoiceField):
        info["type"] = "choice"
        info["choices"] = [{"value": key, "label": str(label)}
                           for key, label in field.choices.items()]
    elif isinstance(field, serializers.BooleanField):
        info["type"] = "boolean"
    elif isinstance(field, serializers.IntegerField | serializers.DecimalField |
                    serializers.FloatField):
        info["type"] = "number"
    elif isinstance(field, serializers.EmailField):
        info["type"] = "email"
    if getattr(field, "max_length", None):
        info["max_length"] = field.max_length
    if field.default is not serializers.empty:
        info["default"] = field.default
    return info


@login_required
@require_GET
def form(request: HttpRequest, run_id: int) -> JsonResponse:
    run = get_object_or_404(visible_runs(request), pk=run_id)
    spec = registry.find(run.name)
    step = spec.step(run.current_step) if spec is not None else None
    if step is None or step.action is None:
        return JsonResponse({"action": None, "fields": []})
    fields = step.action.serializer().fields
    described = [_describe(name, field) for name, field in fields.items()
                 if name != "workflow_run_id" and not field.read_only]
    return JsonResponse({"action": step.action.name, "fields": described})


@login_required
@require_POST
def outside_world(request: HttpRequest, run_id: int) -> JsonResponse:
    run = get_object_or_404(visible_runs(request), pk=run_id)
    try:
        message = play_outside_world(run)
    except ValueError as exc:
        return JsonResponse({"detail": str(exc)}, status=409)
    return JsonResponse({"detail": message})


@login_required
@require_GET
def outbox(request: HttpRequest) -> JsonResponse:
    notes = Notification.objects.all()[:8]
    return JsonResponse({"results": [{"recipient_email": note.recipient_email,
                                      "message": note.message} for note in notes]})
