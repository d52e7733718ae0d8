"""SQLite behaves like PostgreSQL: of two simultaneous submissions of one action step on a
SQLite file, the body runs once and the second gets 409; a system check flags a SQLite file
without IMMEDIATE transactions."""

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import connection

from django_ai.automation.workflows import checks_safety
from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowStatus
from tests.api.conftest import API
from tests.api.test_concurrent_actions import _race

ROOT = Path(__file__).resolve().parents[2]
on_file_sqlite = connection.vendor == "sqlite" and (
    connection.settings_dict["TEST"].get("NAME") or ":memory:") != ":memory:"


@pytest.mark.skipif(not on_file_sqlite, reason="runs on a SQLite file (see the test below)")
@pytest.mark.parametrize("path", [f"{API}/actions/slow_submit/",
                                  "/statezero/actions/slow_submit/"])
def test_two_simultaneous_submissions_on_a_sqlite_file(transactional_db, path):
    from django.contrib.auth.models import User

    user = User.objects.create_user("racer")
    run = engine.start("slow_action", started_by=user)
    assert run.status == WorkflowStatus.SUSPENDED

    answers = _race(run.pk, user, path)

    assert [code for code, _, _ in answers] == [200, 409]
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED
    assert run.data == {"labels": [answers[0][1]]}  # the body ran once
    assert list(run.step_executions.values_list("step_name", flat=True)) == ["slow"]


@pytest.mark.skipif(connection.vendor != "sqlite" or on_file_sqlite,
                    reason="the in-memory SQLite run starts the file run")
def test_the_race_on_a_sqlite_file(tmp_path):
    # The suite's SQLite database is in memory, where threads cannot race: run the test above
    # in a child pytest whose test database is a file.
    env = {**os.environ, "SQLITE_TEST_NAME": str(tmp_path / "race.sqlite3")}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         f"{Path(__file__).relative_to(ROOT)}::test_two_simultaneous_submissions_on_a_sqlite_file"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout


class FakeConnections(dict):
    def __iter__(self):
        return iter(self.keys())


def check_with(monkeypatch, **databases):
    fake = FakeConnections({alias: SimpleNamespace(settings_dict=value)
                            for alias, value in databases.items()})
    monkeypatch.setattr(checks_safety, "connections", fake)
    return [message.id for message in checks_safety.check_sqlite_transaction_mode()]


SQLITE = "django.db.backends.sqlite3"


def test_a_sqlite_file_without_immediate_transactions_is_flagged(monkeypatch):
    assert check_with(monkeypatch, default={"ENGINE": SQLITE, "NAME": "/srv/db.sqlite3"}) == [
        "django_ai.W060"]
    assert check_with(monkeypatch, default={"ENGINE": SQLITE, "NAME": "db.sqlite3",
                                            "OPTIONS": {"transaction_mode": "DEFERRED"}}) == [
        "django_ai.W060"]


def test_immediate_memory_and_postgresql_pass(monkeypatch):
    assert check_with(
        monkeypatch,
        default={"ENGINE": SQLITE, "NAME": "db.sqlite3",
                 "OPTIONS": {"transaction_mode": "IMMEDIATE"}},
        memory={"ENGINE": SQLITE, "NAME": ":memory:"},
        shared={"ENGINE": SQLITE, "NAME": "file:x?mode=memory&cache=shared"},
        pg={"ENGINE": "django.db.backends.postgresql", "NAME": "app"},
    ) == []
