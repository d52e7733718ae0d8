"""The Celery app used when REDIS_URL is set.

Start a worker and beat beside the web server:

    celery -A config worker -l info
    celery -A config beat -l info
"""

import os

from celery import Celery

from django_ai.automation.workflows.celery_schedule import BEAT_SCHEDULE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("example_project")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Finds django_ai's tasks module as well as any tasks.py of the project's apps.
app.autodiscover_tasks()
# "django_ai.tick" every 5 seconds: fires due timers (sleeps, retry backoffs, wait timeouts,
# planned starts) and re-delivers steps whose worker died. The database stays the source of truth.
app.conf.beat_schedule = {**BEAT_SCHEDULE}
