"""``GET runs/<id>/timeline/``: the data behind the admin's run timeline, for any frontend."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from ..observe.timeline import build_timeline
from .openapi import document
from .permissions import visible_runs
from .serializers import RunSerializer
from .views import _ApiView


class RunTimelineView(_ApiView, generics.GenericAPIView):
    """A run's step visits as rows of timed segments (attempts, waits, retries, subflows).

    Same permissions as the run's detail. Each row: ``step``, ``status`` (``completed``,
    ``failed``, ``cancelled`` or ``current``), ``ended_at``, ``attempts``, ``error`` and
    ``segments`` of ``{kind, start, end, until, error|detail|child_run}``; ``end`` null means
    still going. Kinds: attempt, queued, running, start, sleep, retry, signal, event, action,
    subflow, elided, step.
    """

    serializer_class = RunSerializer

    def get_queryset(self) -> QuerySet:
        return visible_runs(self.request)

    @document(responses={200: {"type": "object"}})
    def get(self, request: Request, pk: int) -> Response:
        run = self.get_object()
        user: Any = getattr(request, "user", None)
        return Response(build_timeline(run, full_errors=bool(user and user.is_staff)))
