"""Settings for the example project.

With no environment variables it runs on SQLite with the in-process "immediate" backend, so
nothing but Python is needed. Set DATABASE_URL (postgres://...) to use PostgreSQL and REDIS_URL
(redis://...) to deliver steps through Celery with a Redis broker. EXAMPLE_BACKEND=tasks
delivers them through Django's Tasks framework with the database worker (django-tasks-db): no
broker, the queue is a table in the same database.
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent

# A demo: this fixed, public key (unless SECRET_KEY is set), DEBUG on and a demo superuser.
# `manage.py rundemo` says so at start-up and serves 127.0.0.1 only unless told otherwise.
DEMO_SECRET_KEY = "example-only-not-secret"
SECRET_KEY = os.environ.get("SECRET_KEY", DEMO_SECRET_KEY)
DEBUG = os.environ.get("DEBUG", "1") == "1"
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
STATIC_URL = "static/"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_ai.automation.events",
    "django_ai.automation.workflows",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # X-Frame-Options: DENY, so no other site can frame the demo's pages (clickjacking).
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]


def database_from_url(url: str) -> dict:
    """A DATABASES entry from a postgres:// or sqlite:/// URL (kept tiny on purpose, so the
    example needs no extra package)."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        name = unquote(parts.path[1:]) if parts.path.startswith("/") else parts.path
        return sqlite_database(name or ":memory:")
    if parts.scheme in ("postgres", "postgresql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
        }
    raise ValueError(f"DATABASE_URL scheme {parts.scheme!r} is not supported; use postgres:// "
                     "or sqlite:///path.")


def sqlite_database(name: str) -> dict:
    # The demo serves requests in threads while a ticker thread fires timers; a busy timeout
    # and IMMEDIATE transactions make concurrent writers queue instead of failing.
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": name,
        "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
    }


DATABASES = {
    "default": database_from_url(os.environ["DATABASE_URL"])
    if os.environ.get("DATABASE_URL")
    else sqlite_database(str(BASE_DIR / "db.sqlite3"))
}

REDIS_URL = os.environ.get("REDIS_URL", "")
EXAMPLE_BACKEND = os.environ.get("EXAMPLE_BACKEND") or ("celery" if REDIS_URL else "immediate")
if EXAMPLE_BACKEND == "celery":
    # Steps go through Celery: run a worker and beat beside the web server (see README).
    DJANGO_AI = {"BACKEND": "celery"}
    CELERY_BROKER_URL = REDIS_URL or "redis://127.0.0.1:6379/0"
    CELERY_TASK_ACKS_LATE = True
    CELERY_WORKER_PREFETCH_MULTIPLIER = 1
    # Workers keep their database connection between tasks: reconnecting costs more than a step.
    CELERY_DB_REUSE_MAX = 1000
elif EXAMPLE_BACKEND == "tasks":
    # Steps are Django Tasks in a table of this database: run `manage.py db_worker` and
    # `manage.py workflows tick --every 1` beside the web server (scripts/example does).
    import django

    if django.VERSION < (6, 0):
        INSTALLED_APPS.append("django_tasks")  # the backport of django.tasks
    INSTALLED_APPS.append("django_tasks_db")
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    DJANGO_AI = {"BACKEND": "tasks"}
else:
    # Steps run in-process right after the commit that scheduled them; `manage.py rundemo`
    # fires timers (sleeps, timeouts, planned starts) from a background thread.
    DJANGO_AI = {"BACKEND": "immediate"}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_ai": {"handlers": ["console"], "level": "INFO"}},
}
