from django.apps import AppConfig


class EventAppConfig(AppConfig):
    name = "tests.eventapp"
    label = "eventapp"
    default_auto_field = "django.db.models.BigAutoField"
