"""Proxy models that give the dashboard and the workflow graphs their place on the admin index.

They own no table; their admin pages (observe/admin.py) render the operator views.
"""

from __future__ import annotations

from ..models import WorkflowRun


class WorkflowDashboard(WorkflowRun):
    class Meta:
        proxy = True
        app_label = "django_ai_workflows"
        verbose_name = "dashboard"
        verbose_name_plural = "dashboard"


class WorkflowGraph(WorkflowRun):
    class Meta:
        proxy = True
        app_label = "django_ai_workflows"
        verbose_name = "workflow graph"
        verbose_name_plural = "workflow graphs"
