"""Only the action endpoints, for mounting where StateZero would serve them.

A project without StateZero whose frontend posts to ``/statezero/actions/<name>/`` can keep
those URLs: ``path("statezero/", include("django_ai.automation.workflows.api.action_urls"))``.
"""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "django_ai_workflow_actions"

urlpatterns = [
    path("actions/", views.ActionListView.as_view(), name="action-list"),
    path("actions/<str:action_name>/", views.ActionSubmitView.as_view(), name="action-submit"),
]
