"""Settings for the integration tier's Celery worker and beat (and the test process's sends).

The database comes from DATABASE_URL (the conftest points the worker at pytest's test database),
the broker from REDIS_URL, and the queue from DJANGO_AI_TEST_QUEUE so runs never collide.
"""

import os

from django_ai.automation.workflows.celery_schedule import beat_schedule
from tests.settings import *  # noqa: F403
from tests.settings import DATABASES

QUEUE = os.environ.get("DJANGO_AI_TEST_QUEUE", "django_ai_integration")
# Wake tasks and the tick on their own queue (every worker adds it to its -Q queues);
# DJANGO_AI_TEST_TIMER_QUEUE=none puts them back on the step queue, to compare.
TIMER_QUEUE = None if os.environ.get("DJANGO_AI_TEST_TIMER_QUEUE") == "none" else f"{QUEUE}_timers"

DJANGO_AI = {
    "BACKEND": "celery",
    "CELERY_QUEUE": QUEUE,
    "CELERY_TIMER_QUEUE": TIMER_QUEUE,
    # Short so a killed worker's run is recovered within the test's patience.
    "RECOVERY_AFTER_SECONDS": int(os.environ.get("DJANGO_AI_TEST_RECOVERY", "3")),
}

# Worker database connections are reused across tasks (see docs/howto-celery.md).
DATABASES["default"]["CONN_MAX_AGE"] = 600
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
CELERY_DB_REUSE_MAX = 1000

CELERY_BROKER_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = QUEUE
CELERY_IMPORTS = ["tests.integration.workflows_integration"]
CELERY_BEAT_SCHEDULE = beat_schedule(
    interval=float(os.environ.get("DJANGO_AI_TEST_TICK", "1")), queue=TIMER_QUEUE or QUEUE
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django_ai": {"handlers": ["stderr"], "level": "WARNING"}},
}
