"""Settings for the Django Tasks tier: the database worker (django-tasks-db) on PostgreSQL, no
Redis, no Celery. Worker and ticker processes use them; the conftest points DATABASE_URL at
pytest's test database. Timings come from the environment so a test can change them."""

import os

import django

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES, INSTALLED_APPS

if django.VERSION < (6, 0) and "django_tasks" not in INSTALLED_APPS:
    INSTALLED_APPS.append("django_tasks")
if "django_tasks_db" not in INSTALLED_APPS:
    INSTALLED_APPS.append("django_tasks_db")
# Registers the integration workflows in every process (its workflows.py re-exports them).
INSTALLED_APPS.append("tests.integration_tasks")

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend",
                     "QUEUES": ["django_ai", "django_ai_timers"]}}
DJANGO_AI = {
    "BACKEND": "tasks",
    "TASKS_QUEUE": "django_ai",
    "TASKS_TIMER_QUEUE": os.environ.get("DJANGO_AI_TEST_TIMER_QUEUE", "django_ai_timers"),
    # Short so a killed worker's run is recovered within the test's patience.
    "RECOVERY_AFTER_SECONDS": int(os.environ.get("DJANGO_AI_TEST_RECOVERY", "3")),
}

DATABASES["default"]["CONN_MAX_AGE"] = 600
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django_ai": {"handlers": ["stderr"], "level": "WARNING"},
                "django_tasks_db": {"handlers": ["stderr"], "level": "WARNING"}},
}
