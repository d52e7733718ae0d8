"""OpenAPI support through drf-spectacular, when it is installed (it is optional)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework.permissions import AllowAny
from rest_framework.schemas.inspectors import DefaultSchema

try:
    from drf_spectacular.openapi import AutoSchema
    from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
    from drf_spectacular.views import SpectacularAPIView
except ImportError:  # pragma: no cover - exercised only without the dev extra
    AutoSchema = extend_schema = SpectacularAPIView = PolymorphicProxySerializer = None
    OpenApiParameter = None

AVAILABLE = SpectacularAPIView is not None


def view_schema() -> Any:
    """drf-spectacular's inspector for our views (whatever DEFAULT_SCHEMA_CLASS says)."""
    return AutoSchema() if AVAILABLE else DefaultSchema()


def _action_inputs() -> Any:
    """The request body of ``POST actions/<name>/``: one of the actions' input serializers."""
    from ..action_checks import action_steps
    from .inputs import input_serializer

    inputs = {step.action.name: input_serializer(step.action.serializer)
              for _spec, step in action_steps()}
    if not inputs:
        return {"type": "object"}
    return PolymorphicProxySerializer(component_name="ActionSubmission",
                                      serializers=list(inputs.values()),
                                      resource_type_field_name=None)


def document(*, action_inputs: bool = False, **kwargs: Any) -> Callable[[Any], Any]:
    """``extend_schema(**kwargs)`` when drf-spectacular is installed, else a no-op.

    ``action_inputs=True`` documents the body as one of the registered actions' inputs, worked
    out when the schema is generated (actions register after this module is imported).
    """
    if not AVAILABLE:
        return lambda target: target

    class ActionSubmitSchema(AutoSchema):
        def get_request_serializer(self) -> Any:
            return _action_inputs()

    def decorate(target: Any) -> Any:
        # extend_schema derives from the target's own schema class when it has one, else from
        # DEFAULT_SCHEMA_CLASS, which a project need not point at drf-spectacular.
        target.schema = ActionSubmitSchema if action_inputs else AutoSchema
        return extend_schema(**kwargs)(target)

    return decorate


def header_parameters(**descriptions: str) -> list[Any]:
    """Optional request headers (``Idempotency_Key="..."`` names ``Idempotency-Key``)."""
    if not AVAILABLE:
        return []
    return [OpenApiParameter(name.replace("_", "-"), str, OpenApiParameter.HEADER,
                             required=False, description=text)
            for name, text in descriptions.items()]


def schema_view() -> Any:
    """A view serving the OpenAPI schema of this API (paths relative to where it is mounted)."""
    if not AVAILABLE:
        return None

    class WorkflowsSchemaView(SpectacularAPIView):
        urlconf = "django_ai.automation.workflows.api.urls"
        schema = None  # the schema endpoint does not describe itself

        def get_permissions(self) -> list[Any]:
            """The API's own permission classes, unless ``API_SCHEMA_PUBLIC`` opens it."""
            from ....conf import ai_settings
            from .permissions import api_permissions

            if ai_settings()["API_SCHEMA_PUBLIC"]:
                return [AllowAny()]
            return api_permissions()

        def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            base = request.path[: -len("schema/")] if request.path.endswith("schema/") else "/"
            self.custom_settings = {
                "TITLE": "django_ai workflows API",
                "DESCRIPTION": "Workflow runs, their display state, and action steps.",
                "VERSION": "1",
                "SERVERS": [{"url": base.rstrip("/") or "/"}],
            }
            return super().get(request, *args, **kwargs)

    return WorkflowsSchemaView.as_view()
