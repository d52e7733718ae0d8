"""Admin pages for operators: the dashboard, each workflow's graph, and on each run's page its
graph (path and current step highlighted) and its timeline. Staff only, like the whole admin;
each page also needs the permission to view runs."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from .. import registry
from ..management.graph import build_graph
from ..models import WorkflowRun
from . import dashboard
from .graph_dot import RunPath, to_dot
from .proxies import WorkflowDashboard, WorkflowGraph
from .timeline import build_timeline
from .timeline_svg import render_svg

VIEW_RUNS = "django_ai_workflows.view_workflowrun"


def run_graph_dot(run: WorkflowRun) -> str | None:
    """DOT of the run's workflow with its path, or None when the workflow is not registered."""
    spec = registry.find(run.name)
    if spec is None:
        return None
    steps = list(run.step_executions.order_by("id").values_list("step_name", flat=True))
    current = "" if run.is_finished and run.status != "failed" else run.current_step
    return to_dot(build_graph(spec), RunPath(steps=steps, current=current, status=run.status))


class RunPicturesMixin:
    """Adds the graph and the timeline to the run's change page (``form_top`` block)."""

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra = dict(extra_context or {})
        run = WorkflowRun.objects.filter(pk=object_id).first() if object_id.isdigit() else None
        if run is not None:
            timeline = build_timeline(run, full_errors=True)
            child_url = reverse("admin:django_ai_workflows_workflowrun_change", args=[0])
            extra.update(dai_graph_dot=run_graph_dot(run),
                         dai_timeline_svg=render_svg(timeline, child_url),
                         dai_timeline=timeline, dai_run=run)
        return super().change_view(request, object_id, form_url, extra)  # type: ignore[misc]


class _OperatorPage(admin.ModelAdmin):
    """A proxy's admin that is a page, not a list: view permission on runs, nothing else."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_staff and request.user.has_perm(
            VIEW_RUNS)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _page(self, request: HttpRequest, template: str, **context: Any) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return TemplateResponse(request, template, {
            **self.admin_site.each_context(request), "opts": self.model._meta, **context})


@admin.register(WorkflowDashboard)
class DashboardAdmin(_OperatorPage):
    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        data = dashboard.collect()
        return self._page(request, "admin/django_ai_workflows/dashboard.html",
                          title="Workflows dashboard", figures=data)


@admin.register(WorkflowGraph)
class GraphAdmin(_OperatorPage):
    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.graph_view)
        return [path("<str:name>/graph/", view,
                     name="django_ai_workflows_workflowgraph_graph"), *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        specs = sorted(registry.all_specs(), key=lambda spec: spec.name)
        return self._page(request, "admin/django_ai_workflows/workflow_list.html",
                          title="Workflow graphs", specs=specs)

    def graph_view(self, request: HttpRequest, name: str) -> HttpResponse:
        spec = registry.find(name)
        if spec is None:
            raise Http404(f"No workflow named {name!r} is registered.")
        graph = build_graph(spec)
        return self._page(request, "admin/django_ai_workflows/workflow_graph.html",
                          title=f"Workflow {spec.name}", spec=spec, dot=to_dot(graph),
                          unreadable=graph.unreadable)
