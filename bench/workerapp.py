"""The Celery app every bench worker runs: the package's tasks (autodiscovered, as a user's
project finds them) plus two no-op tasks for the bare-Celery baseline. Same worker settings
for both, so the baseline and the engine figures compare like with like.

Started by the bench scripts as ``celery -A bench.workerapp worker -c 2 ...``.
"""

from __future__ import annotations

import os
import time

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

app = Celery("bench")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

COUNTER_KEY = "bench:done"
LATENCY_KEY = "bench:latency"
_redis = None


def redis_client():
    global _redis
    if _redis is None:
        import redis
        from django.conf import settings

        _redis = redis.Redis.from_url(settings.REDIS_URL)
    return _redis


@app.task(name="bench.noop_chain", acks_late=True, ignore_result=True)
def noop_chain(left: int) -> None:
    """A no-op that sends the next link, like a step handing off the next step."""
    if left > 0:
        noop_chain.apply_async((left - 1,))
    else:
        redis_client().incr(COUNTER_KEY)


@app.task(name="bench.stamp", acks_late=True, ignore_result=True)
def stamp(sent: float) -> None:
    """Record how long after ``sent`` (wall clock) this task started."""
    redis_client().rpush(LATENCY_KEY, time.time() - sent)
