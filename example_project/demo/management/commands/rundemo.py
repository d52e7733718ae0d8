"""``manage.py rundemo``: the development server plus a timer thread.

With the in-process "immediate" backend there is no Celery beat to fire timers (sleeps, retry
backoffs, wait timeouts, planned starts), so this command calls ``engine.tick()`` once a
second from a daemon thread. With ``DJANGO_AI = {"BACKEND": "celery"}`` Celery beat does that
job and the thread is not started.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from django_ai.conf import ai_settings

logger = logging.getLogger("demo")


def tick_forever(stop: threading.Event, interval: float) -> None:
    from django_ai.automation.workflows.core import engine

    while not stop.wait(interval):
        try:
            engine.tick()
        except Exception:  # keep ticking: a locked SQLite file or a bad step must not kill it
            logger.exception("engine.tick() failed; trying again in %ss", interval)
        finally:
            close_old_connections()


_LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")


def demo_notice(addrport: str) -> list[str]:
    """What the demo tells at start-up: that it is a demo, and which of its shortcuts are on."""
    host = addrport.rsplit(":", 1)[0] if ":" in addrport else "127.0.0.1"
    lines = ["This is a DEMO, not a deployment:"]
    if settings.DEBUG:
        lines.append("  - DEBUG is on (error pages show code and settings).")
    if getattr(settings, "DEMO_SECRET_KEY", None) == settings.SECRET_KEY:
        lines.append("  - SECRET_KEY is the fixed, public demo key (set SECRET_KEY to change it).")
    if get_user_model().objects.filter(username="demo", is_superuser=True).exists():
        lines.append("  - the login demo / demo is a superuser.")
    if host in _LOOPBACK:
        lines.append(f"  - it serves {host} only: other machines cannot reach it.")
    else:
        lines.append(f"  - WARNING: it serves {host}, which other machines may reach. Keep it "
                     "on 127.0.0.1 unless you know who can connect.")
    return lines


class Command(BaseCommand):
    help = "Run the development server with a background thread that fires workflow timers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--tick-interval", type=float, default=1.0,
                            help="Seconds between engine.tick() calls (default 1).")

    def handle(self, *args: Any, **options: Any) -> None:
        for line in demo_notice(options["addrport"]):
            self.stdout.write(self.style.WARNING(line) if "WARNING" in line else line)
        stop = threading.Event()
        if ai_settings()["BACKEND"] == "immediate":
            thread = threading.Thread(target=tick_forever, args=(stop, options["tick_interval"]),
                                      name="workflow-ticker", daemon=True)
            thread.start()
            self.stdout.write(f"Timer thread: engine.tick() every {options['tick_interval']}s.")
        else:
            ticker = "Celery beat" if ai_settings()["BACKEND"] == "celery" else (
                "`manage.py workflows tick --every N`")
            self.stdout.write(f"Timers are fired by {ticker} (BACKEND is not 'immediate').")
        try:
            # No autoreloader: it would run this command twice, each with its own ticker.
            call_command("runserver", options["addrport"], use_reloader=False)
        finally:
            stop.set()
