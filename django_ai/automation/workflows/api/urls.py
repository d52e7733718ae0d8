"""``path("api/workflows/", include("django_ai.automation.workflows.api.urls"))``."""

from __future__ import annotations

from django.urls import path

from . import timeline, views
from .openapi import schema_view
from .start import StartView

app_name = "django_ai_workflows"

urlpatterns = [
    path("runs/", views.RunListView.as_view(), name="run-list"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run-detail"),
    path("runs/<int:pk>/display/", views.RunDisplayView.as_view(), name="run-display"),
    path("runs/<int:pk>/timeline/", timeline.RunTimelineView.as_view(), name="run-timeline"),
    path("runs/<int:pk>/history/", views.RunHistoryView.as_view(), name="run-history"),
    path("runs/<int:pk>/cancel/", views.RunCancelView.as_view(), name="run-cancel"),
    path("runs/<int:pk>/retry/", views.RunRetryView.as_view(), name="run-retry"),
    path("runs/<int:pk>/signal/", views.RunSignalView.as_view(), name="run-signal"),
    path("signals/<str:name>/", views.SignalBroadcastView.as_view(), name="signal"),
    path("start/<str:name>/", StartView.as_view(), name="start"),
    path("actions/", views.ActionListView.as_view(), name="action-list"),
    path("actions/<str:action_name>/", views.ActionSubmitView.as_view(), name="action-submit"),
]

_schema = schema_view()
if _schema is not None:
    urlpatterns.append(path("schema/", _schema, name="schema"))
