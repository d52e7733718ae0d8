from __future__ import annotations

from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "django_ai.automation.events"
    label = "django_ai_events"
    verbose_name = "Workflow events"
    default_auto_field = "django.db.models.BigAutoField"
