"""Events: model-declared and emitted occurrences that start and wake workflows."""
from __future__ import annotations

from django.apps import AppConfig, apps


class EventsConfig(AppConfig):
    name = "django_ai.automation.events"
    label = "django_ai_events"
    verbose_name = "Workflow events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ..workflows.engine import timers
        from . import checks  # noqa: F401  (registers the system checks)
        from .bulk import wrap_managers
        from .definitions import declared_models, note_model
        from .firing import TIMER_SOURCE
        from .guards import event_still_holds
        from .recording import connect

        for model in apps.get_models(include_swapped=True):
            note_model(model)  # in case a model was prepared before this package was imported
        connect(list(declared_models()))
        for model in declared_models():
            wrap_managers(model)
        timers.register_timer_source(TIMER_SOURCE)
        if event_still_holds not in timers.start_guards:
            timers.start_guards.append(event_still_holds)
