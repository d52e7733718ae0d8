"""Django settings for the benchmarks: PostgreSQL (``BENCH_DATABASE_URL``) and Redis
(``BENCH_REDIS_URL``). Connections are kept open, as a production worker should keep them."""

import os

import dj_database_url

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_ai.automation.events",
    "django_ai.automation.workflows",
    "bench.benchapp",
]

# The Django Tasks backend's figures (bench.engine_tasks) need the tasks extra: the database
# task backend, with the django-tasks backport on Django 5.2.
try:
    import django_tasks_db  # noqa: F401
except ImportError:
    pass
else:
    import django

    if django.VERSION < (6, 0):
        INSTALLED_APPS.append("django_tasks")
    INSTALLED_APPS.append("django_tasks_db")
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend",
                         "QUEUES": ["django_ai"]}}

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_dai"
)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=None,
                                              conn_health_checks=True)}
# Prepared statements as psycopg's own default (5 executions), as a project on a direct
# connection (or PgBouncer 1.21+ with max_prepared_statements) would set; Django's default
# (None) never prepares. BENCH_PREPARE_THRESHOLD=none measures Django's default.
if os.environ.get("BENCH_PREPARE_THRESHOLD", "5").lower() != "none":
    DATABASES["default"]["OPTIONS"] = {
        "prepare_threshold": int(os.environ.get("BENCH_PREPARE_THRESHOLD", "5"))}
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Keep Django's connection across tasks (Celery's Django fixup otherwise closes it after every
# task). BENCH_DB_REUSE=0 measures Celery's default.
if os.environ.get("BENCH_DB_REUSE", "1") == "1":
    CELERY_DB_REUSE_MAX = 1_000_000

# Which delivery backend the engine uses: the bench drivers override this per phase.
DJANGO_AI = {
    "BACKEND": os.environ.get("BENCH_BACKEND", "bench.collect.CollectingBackend"),
    "INLINE_STEP_LIMIT": int(os.environ.get("BENCH_INLINE_STEP_LIMIT", "8")),
    "TASKS_QUEUE": "django_ai",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler", "level": "WARNING"}},
    "loggers": {"django_ai": {"handlers": ["console"], "level": "WARNING"}},
}
