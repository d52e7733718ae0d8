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
        from . import checks, checks_celery, checks_safety, checks_tasks, telemetry  # noqa: F401  (system checks)

        telemetry.configure(bool(ai_settings()["OPENTELEMETRY"]))
        if checks_celery.selected() and checks_celery.celery_installed():
            from . import celery_worker

            celery_worker.connect()
        from .engine import timers
        from .limits import sweep
        from .scheduling import firing

        timers.register_timer_source(timers.TimerSource(firing.fire_due, firing.next_due))
        timers.register_timer_source(timers.TimerSource(sweep.sweep, sweep.next_due))

        # Import every installed app's workflows.py so decorated classes register themselves.
        autodiscover_modules("workflows")
