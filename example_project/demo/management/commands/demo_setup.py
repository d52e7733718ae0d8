"""``manage.py demo_setup``: create the demo login (demo / demo) if it does not exist."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the demo user (username demo, password demo, staff) if missing."

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model()
        user, created = users.objects.get_or_create(
            username="demo", defaults={"is_staff": True, "is_superuser": True})
        if created:
            user.set_password("demo")
            user.save()
            self.stdout.write("Created the demo login: demo / demo")
        else:
            self.stdout.write("The demo login exists: demo / demo")
