"""The example project's configuration package."""

import os

if os.environ.get("REDIS_URL"):
    # Load the Celery app with Django so tasks sent from web requests use its broker.
    from .celery import app as celery_app

    __all__ = ["celery_app"]
