from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(template_name="demo/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The package's REST API: run list, run detail (current_step_display, history), actions.
    path("api/workflows/", include("django_ai.automation.workflows.api.urls")),
    path("", include("demo.urls")),
]
