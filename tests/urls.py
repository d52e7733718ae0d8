from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/workflows/", include("django_ai.automation.workflows.api.urls")),
]

if getattr(settings, "STATEZERO_INSTALLED", False):
    urlpatterns.append(path("statezero/", include("statezero.adaptors.django.urls")))
else:  # the package's own action endpoints keep StateZero's URLs working without it
    urlpatterns.append(
        path("statezero/", include("django_ai.automation.workflows.api.action_urls")))
