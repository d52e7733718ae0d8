"""Settings for the package's own test suite. DATABASE_URL switches SQLite to PostgreSQL."""

import os

import dj_database_url

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "tests.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
STATIC_URL = "static/"  # the operator pages' scripts (tests/browser serve them live)

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
    "tests.testapp",
    "tests.eventapp",
]

# The tasks extra is optional: the backport's app (Django 5.2) and the database task backend.
try:
    import django_tasks_db  # noqa: F401
except ImportError:
    TASKS_DB_INSTALLED = False
else:
    import django

    TASKS_DB_INSTALLED = True
    if django.VERSION < (6, 0):
        INSTALLED_APPS.append("django_tasks")
    INSTALLED_APPS.append("django_tasks_db")

# The StateZero extra is optional: its app (and /statezero/ urls) only where it is installed.
try:
    import statezero  # noqa: F401
except ImportError:
    STATEZERO_INSTALLED = False
else:
    STATEZERO_INSTALLED = True
    INSTALLED_APPS.append("statezero.adaptors.django")
    STATEZERO_VIEW_ACCESS_CLASS = "rest_framework.permissions.AllowAny"

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
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

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "sqlite:///:memory:"), conn_max_age=0
    )
}
# DB_PREPARE_THRESHOLD=0 runs the PostgreSQL tier with prepared statements, which puts the
# transition's lock and write on server-side binding (engine/hotcursor.py).
if os.environ.get("DB_PREPARE_THRESHOLD"):
    DATABASES["default"]["OPTIONS"] = {"prepare_threshold": int(os.environ["DB_PREPARE_THRESHOLD"])}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_NAME", ":memory:")}

DJANGO_AI = {"BACKEND": "immediate"}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "loggers": {"django_ai": {"handlers": ["null"], "propagate": True}},
}
