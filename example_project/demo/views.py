"""The demo's pages: the run list with start buttons, and one run's live page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from django_ai.automation.workflows.api.permissions import visible_runs

from .models import Notification
from .starters import STARTERS


def _api_urls() -> dict[str, str]:
    """URL templates the page's JavaScript fills in (``{id}``, ``{name}``)."""
    return {
        "runs": reverse("django_ai_workflows:run-list"),
        "run": reverse("django_ai_workflows:run-detail", args=[0]).replace("/0/", "/{id}/"),
        "action": reverse("django_ai_workflows:action-submit", args=["NAME"]).replace(
            "NAME", "{name}"),
        "form": reverse("demo-form", args=[0]).replace("/0/", "/{id}/"),
        "outside": reverse("demo-outside-world", args=[0]).replace("/0/", "/{id}/"),
        "page": reverse("run", args=[0]).replace("/0/", "/{id}/"),
        "outbox": reverse("demo-outbox"),
    }


@login_required
def home(request: HttpRequest) -> HttpResponse:
    # The package's visibility rule: staff see every run, other users the runs they started.
    runs = visible_runs(request).filter(parent_run__isnull=True).order_by("-id")[:50]
    return render(request, "demo/home.html", {
        "starters": STARTERS.items(),
        "runs": runs,
        "outbox": Notification.objects.all()[:8],
        "api": _api_urls(),
    })


@login_required
@require_POST
def start(request: HttpRequest, key: str) -> HttpResponse:
    starter = STARTERS.get(key)
    if starter is None:
        raise Http404(f"No demo starter {key!r}.")
    run_id = starter.start(request.user)
    if run_id is None:
        messages.info(request, f"{starter.label}: the run is planned and appears shortly.")
        return redirect("home")
    return redirect("run", run_id=run_id)


@login_required
def run_page(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(visible_runs(request), pk=run_id)
    return render(request, "demo/run.html", {"run": run, "api": _api_urls()})
