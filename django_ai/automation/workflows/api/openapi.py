"""OpenAPI support through drf-spectacular, when it is installed (it is optional)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework.schemas.inspectors import DefaultSchema

try:
    from drf_spectacular.openapi import AutoSchema
    from drf_spectacular.utils import extend_schema
    from drf_spectacular.views import SpectacularAPIView
except ImportError:  # pragma: no cover - exercised only without the dev extra
    AutoSchema = extend_schema = SpectacularAPIView = None

AVAILABLE = SpectacularAPIView is not None


def view_schema() -> Any:
    """drf-spectacular's inspector for our views (whatever DEFAULT_SCHEMA_CLASS says)."""
    return AutoSchema() if AVAILABLE else DefaultSchema()


def document(**kwargs: Any) -> Callable[[Any], Any]:
    """``extend_schema(**kwargs)`` when drf-spectacular is installed, else a no-op."""
    if not AVAILABLE:
        return lambda target: target

    def decorate(target: Any) -> Any:
        # extend_schema derives from the target's own schema class when it has one, else from
        # DEFAULT_SCHEMA_CLASS, which a project need not point at drf-spectacular.
        target.schema = AutoSchema
        return extend_schema(**kwargs)(target)

    return decorate


def schema_view() -> Any:
    """A view serving the OpenAPI schema of this API (paths relative to where it is mounted)."""
    if not AVAILABLE:
        return None

    class WorkflowsSchemaView(SpectacularAPIView):
        urlconf = "django_ai.automation.workflows.api.urls"
        schema = None  # the schema endpoint does not describe itself

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
