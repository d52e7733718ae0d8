"""The exception handler of the package's API views: no 500 page for what a client sent.

DRF handles its own exceptions (400/401/403/404/...). What is left is mapped here: a workflow
error the view did not expect becomes a 400 (a payload that does not fit) or a 409 (the run or
workflow is not in a state that allows it), with its message. Anything else is a bug: it is
logged with its traceback and answered with a plain 500 JSON body, so no traceback reaches a
user whatever ``DEBUG`` is; only a staff user with ``DEBUG`` on gets Django's debug page.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..errors import SignalPayloadError, WorkflowError

logger = logging.getLogger("django_ai.workflows")


def _is_staff(context: dict[str, Any]) -> bool:
    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = drf_exception_handler(exc, context)
    if response is not None:
        return response
    if isinstance(exc, WorkflowError) and isinstance(exc, ValueError | SignalPayloadError):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, WorkflowError):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if settings.DEBUG and _is_staff(context):
        return None  # DRF re-raises: Django's debug page, for staff on a development server
    view = context.get("view")
    logger.exception("Unexpected error in %s", type(view).__name__ if view else "a workflows view")
    return Response({"detail": "The server could not handle this request; the error was "
                               "logged."}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
