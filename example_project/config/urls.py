from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(template_name="demo/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The package's REST API: run list, run detail (current_step_display, history), actions.
    path("api/workflows/", include("django_ai.automation.workflows.api.urls")),
    # Pages link the icon; this answers browsers (and the admin) that ask for /favicon.ico.
    path("favicon.ico", RedirectView.as_view(url=static("demo/favicon.svg"), permanent=True)),
    path("", include("demo.urls")),
]
