"""Issue 10, point 6: parents and children stay consistent. A child its parent waits for cannot
be deleted on its own, `workflows check` reports stranded parents, and cancel takes its locks
in the global order (child before parent), so cancel racing a finishing child cannot deadlock
on PostgreSQL (tested with real threads and connections)."""

from __future__ import annotations

import os
import threading
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import ProtectedError

from django_ai.automation.workflows.backends import run_parked_handoffs, set_backend_override
from django_ai.automation.workflows.backends.base import Backend
from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowRun, WorkflowStatus
from tests import hardening_flows as flows


def _family(tm) -> tuple[WorkflowRun, WorkflowRun]:
    parent = engine.start("hard_parent")
    parent.refresh_from_db()
    child = WorkflowRun.objects.get(parent_run=parent)
    assert parent.status == WorkflowStatus.SUSPENDED and parent.active_child_id == child.pk
    return parent, child


def test_a_child_its_parent_waits_for_cannot_be_deleted(tm):
    parent, child = _family(tm)
    with pytest.raises(ProtectedError) as raised:
        child.delete()
    assert raised.value.protected_objects == {parent}
    assert "WorkflowRun.active_child" in str(raised.value)
    with pytest.raises(ProtectedError):
        WorkflowRun.objects.filter(pk=child.pk).delete()
    assert WorkflowRun.objects.count() == 2
    parent.refresh_from_db()
    assert parent.active_child_id == child.pk


def test_deleting_the_parent_takes_its_children_with_it(tm):
    parent, _child = _family(tm)
    parent.delete()
    assert WorkflowRun.objects.count() == 0


def test_deleting_both_in_one_call_is_allowed(tm):
    parent, child = _family(tm)
    WorkflowRun.objects.filter(pk__in=[parent.pk, child.pk]).delete()
    assert WorkflowRun.objects.count() == 0


def test_a_finished_child_can_be_deleted_and_the_parent_forgets_it(tm):
    parent, child = _family(tm)
    engine.signal("hard-child-go")
    parent.refresh_from_db()
    assert parent.status == WorkflowStatus.COMPLETED
    child.delete()
    parent.refresh_from_db()
    assert parent.active_child_id is None
    assert parent.data["child_status"] == "completed"


def test_the_admin_lists_the_waiting_parent_as_protected(tm, admin_client):
    _parent, child = _family(tm)
    response = admin_client.get(f"/admin/django_ai_workflows/workflowrun/{child.pk}/delete/")
    assert response.status_code == 200
    assert b"protected" in response.content
    assert WorkflowRun.objects.filter(pk=child.pk).exists()


@pytest.mark.parametrize("how", ["gone", "finished"])
def test_check_reports_stranded_parents(tm, how):
    parent, child = _family(tm)
    if how == "gone":  # as a raw delete (or a release before the protection) would leave it
        WorkflowRun.objects.filter(pk=parent.pk).update(active_child=None)
        expected = "the subworkflow run it waits for no longer exists"
    else:  # finished without waking the parent
        WorkflowRun.objects.filter(pk=child.pk).update(status=WorkflowStatus.COMPLETED)
        expected = f"it waits for subworkflow run {child.pk}, which is completed already"
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("workflows", "check", "hard_parent", stdout=StringIO(), stderr=err)
    assert f"run {parent.pk} (hard_parent): stranded, {expected}" in err.getvalue()


def test_check_passes_for_a_parent_waiting_on_a_live_child(tm):
    _family(tm)
    out = StringIO()
    call_command("workflows", "check", "hard_parent", "hard_child", stdout=out,
                 stderr=StringIO())
    assert "No problems found." in out.getvalue()


# Cancel racing a finishing child, with real concurrency ------------------------------------

class Collector(Backend):
    def __init__(self) -> None:
        self.steps: list[tuple[int, str, int]] = []
        self.lock = threading.Lock()

    def deliver(self, run_id: int, step: str, seq: int) -> None:
        with self.lock:
            self.steps.append((run_id, step, seq))

    def after_api_call(self) -> None:
        run_parked_handoffs()

    def take(self) -> tuple[int, str, int]:
        with self.lock:
            return self.steps.pop(0)

    def drain(self) -> None:
        while self.steps:
            engine.execute(*self.take())


def _lock_waits() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0]


def _in_thread(errors: list[BaseException], action, *args) -> threading.Thread:
    def run() -> None:
        try:
            action(*args)
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                    reason="needs PostgreSQL row locks (set DATABASE_URL to PostgreSQL)")
def test_cancel_racing_a_finishing_child_does_not_deadlock(transactional_db):
    backend = Collector()
    set_backend_override(backend)
    flows.GATE, errors = threading.Event(), []
    flows.ENTERED.clear()
    try:
        parent = engine.start("hard_parent")
        backend.drain()
        engine.signal("hard-child-go")
        child_step = backend.take()
        # A worker runs the child's last step: it holds the child's row lock until GATE opens,
        # then completes the child and locks the parent to wake it.
        worker = _in_thread(errors, engine.execute, *child_step)
        assert flows.ENTERED.wait(10)
        canceller = _in_thread(errors, engine.cancel, parent.pk, "racing")
        deadline = time.monotonic() + 10
        while _lock_waits() == 0 and time.monotonic() < deadline:
            time.sleep(0.02)  # until cancel waits for a lock the worker holds
        flows.GATE.set()
        worker.join(20)
        canceller.join(20)
    finally:
        flows.GATE = None
        set_backend_override(None)
    assert not worker.is_alive() and not canceller.is_alive()
    assert errors == []
    parent.refresh_from_db()
    child = WorkflowRun.objects.get(parent_run=parent)
    assert child.status == WorkflowStatus.COMPLETED
    assert parent.status == WorkflowStatus.CANCELLED
    assert parent.error == "racing"
