from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from tests import async_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/workflows/", include("django_ai.automation.workflows.api.urls")),
    path("async/review/", async_views.start_review),
    path("async/review/<int:run_id>/signal/", async_views.send_review),
    path("async/runs/<int:run_id>/cancel/", async_views.cancel_run),
    path("async/expense/", async_views.start_expense),
    path("async/expense/<int:run_id>/submit/", async_views.submit_review),
]

if getattr(settings, "STATEZERO_INSTALLED", False):
    urlpatterns.append(path("statezero/", include("statezero.adaptors.django.urls")))
else:  # the package's own action endpoints keep StateZero's URLs working without it
    urlpatterns.append(
        path("statezero/", include("django_ai.automation.workflows.api.action_urls")))
