"""The example project passes Django's checks and its own test suite (SQLite, in-process)."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def manage(*args: str, **extra_env: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "config.settings"}
    for name in ("DATABASE_URL", "REDIS_URL", "EXAMPLE_BACKEND"):
        env.pop(name, None)
    env.update(extra_env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT / "example_project",
                          env=env, capture_output=True, text=True, timeout=300)


def test_example_project_checks_and_tests_pass():
    checked = manage("check", "--fail-level", "WARNING")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = manage("test", "demo", "--noinput")
    assert tested.returncode == 0, tested.stdout + tested.stderr


@pytest.mark.skipif(importlib.util.find_spec("django_tasks_db") is None,
                    reason="the tasks extra is not installed")
def test_example_project_on_django_tasks_passes_its_checks():
    checked = manage("check", "--fail-level", "WARNING", EXAMPLE_BACKEND="tasks")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    shown = manage("shell", "-c", "from django.conf import settings; "
                   "print(settings.DJANGO_AI['BACKEND'], settings.TASKS['default']['BACKEND'])",
                   EXAMPLE_BACKEND="tasks")
    assert shown.stdout.split()[-2:] == ["tasks", "django_tasks_db.DatabaseBackend"]


def test_example_graph_and_check_commands():
    graph = manage("workflows", "graph", "order_processing")
    assert graph.returncode == 0, graph.stderr
    assert 'wait_for_payment -->|"event payment_received"| process_payment' in graph.stdout
    assert 'wait_for_payment -.->|"timeout 10m"| cancel_order' in graph.stdout
    assert 'ship_order -->|"subflow SendNotificationWorkflow"| finish' in graph.stdout
