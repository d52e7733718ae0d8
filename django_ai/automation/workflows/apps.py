from __future__ import annotations

from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "django_ai.automation.workflows"
    label = "django_ai_workflows"
    verbose_name = "Workflows"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from ...conf import ai_settings
        from . import checks, checks_celery, telemetry  # noqa: F401  (registers the system checks)

        telemetry.configure(bool(ai_settings()["OPENTELEMETRY"]))

        # Import every installed app's workflows.py so decorated classes register themselves.
        autodiscover_modules("workflows")
