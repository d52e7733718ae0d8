"""``POST start/<workflow>/``: start a run over REST, once per ``Idempotency-Key``.

Off by default: a workflow is served only when ``DJANGO_AI["API_START"]`` lists it, mapped to
the permission classes a caller needs on top of ``API_PERMISSION_CLASSES`` (the model of
action steps). The body is the keyword arguments of ``create_context`` as a JSON object.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError as PydanticValidationError
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ....conf import ai_settings
from .. import registry
from ..engine import engine
from ..errors import ContextError, WorkflowError
from ..models import WorkflowRun
from .failures import exception_handler
from .openapi import document, header_parameters, view_schema
from .permissions import _load, api_permissions, deny, visible_runs
from .serializers import RunDetailSerializer
from .strict_json import StrictJSONParser

KEY_HEADER = "Idempotency-Key"


def start_permissions(name: str) -> list[Any]:
    """The permission instances for starting ``name``; NotFound when it is not served."""
    served = ai_settings()["API_START"] or {}
    if name not in served or registry.find(name) is None:
        raise NotFound(f"No workflow {name!r} can be started through this API.")
    extra = [_load(cls, "API_START") for cls in served[name] or ()]
    return [*api_permissions(), *(cls() if isinstance(cls, type) else cls for cls in extra)]


def _field_errors(exc: PydanticValidationError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "non_field_errors"
        errors.setdefault(field, []).append(error["msg"])
    return errors


class StartView(APIView):
    """Start workflow ``name`` with the body as its Context arguments.

    201 with the new run; 200 with the existing run when an earlier request sent the same
    ``Idempotency-Key`` (nothing is started); 400 for arguments the Context rejects; 404 when
    the workflow is not served (``DJANGO_AI["API_START"]``); 401/403 when not permitted.
    """

    schema = view_schema()
    # As the other endpoints: JSON the database cannot store is a 400, no traceback in a 500.
    parser_classes = [StrictJSONParser, FormParser, MultiPartParser]

    def get_exception_handler(self) -> Any:
        return exception_handler

    def check_permissions(self, request: Request) -> None:
        for permission in start_permissions(self.kwargs["name"]):
            if not permission.has_permission(request, self):
                raise deny(request, getattr(permission, "message", None) or
                           f"You may not start workflow {self.kwargs['name']!r}.")

    @document(request={"type": "object"},
              parameters=header_parameters(Idempotency_Key=(
                  "At most one run per workflow and key: a repeated request returns the run "
                  "the first one started (200) instead of starting another.")),
              responses={200: RunDetailSerializer, 201: RunDetailSerializer, 400: None,
                         403: None, 404: None, 409: None})
    def post(self, request: Request, name: str) -> Response:
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": ["Send the Context's arguments as a "
                                                        "JSON object."]})
        key = request.headers.get(KEY_HEADER) or None
        try:
            run = engine.start(name, idempotency_key=key, started_by=request.user,
                               **request.data)
        except PydanticValidationError as exc:
            raise ValidationError(_field_errors(exc))
        except ContextError as exc:  # the engine names the workflow; the fields are kept apart
            cause = exc.__cause__
            fields = _field_errors(cause) if isinstance(cause, PydanticValidationError) else {}
            raise ValidationError({**fields, "non_field_errors": [str(exc)]})
        except (TypeError, ValueError, WorkflowError) as exc:
            raise ValidationError({"non_field_errors": [str(exc)]})
        if run.is_duplicate_start and not self._may_see(run):
            return Response({"detail": f"{KEY_HEADER} {key!r} was already used for "
                                       f"workflow {name!r}."}, status=status.HTTP_409_CONFLICT)
        body = RunDetailSerializer(run, context={"request": request, "view": self}).data
        code = status.HTTP_200_OK if run.is_duplicate_start else status.HTTP_201_CREATED
        return Response(body, status=code)

    def _may_see(self, run: WorkflowRun) -> bool:
        runs = WorkflowRun.objects.all()
        visible = visible_runs(self.request, runs)
        return visible is runs or visible.filter(pk=run.pk).exists()
