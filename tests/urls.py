from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/workflows/", include("django_ai.automation.workflows.api.urls")),
]

if getattr(settings, "STATEZERO_INSTALLED", False):
    urlpatterns.append(path("statezero/", include("statezero.adaptors.django.urls")))
