"""The test project's Celery app, set up the way the how-to tells a project to do it.

Workers start with ``celery -A tests.celery_app worker`` and
``DJANGO_SETTINGS_MODULE=tests.integration.settings``.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.integration.settings")

app = Celery("django_ai_tests")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
