"""Issue 10, points 2 and 11: nothing silently dropped (start keywords, signal keys), and the
SQLite JSON merge working for any field name."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from django_ai.automation.workflows.backends import run_parked_handoffs, set_backend_override
from django_ai.automation.workflows.backends.base import Backend
from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.errors import ContextError, SignalPayloadError
from django_ai.automation.workflows.models import WorkflowRun, WorkflowStatus
from tests import hardening_flows as flows


@pytest.fixture(autouse=True)
def _calls():
    flows.CALLS.clear()


def test_start_rejects_a_keyword_the_context_does_not_declare(tm):
    with pytest.raises(ContextError) as raised:
        engine.start("hard_waiter", approved=True, amout=4)
    message = str(raised.value)
    assert "Workflow 'hard_waiter' cannot start with 'amout'" in message
    assert "fields: approved, amount, note, count" in message
    assert WorkflowRun.objects.count() == 0


def test_start_accepts_aliases_and_a_context_that_keeps_extra_keys(tm):
    assert engine.start("hard_aliases", **{"nb-days": 3}).data["days"] == 3
    assert engine.start("hard_aliases", days=4).data["days"] == 4  # populate_by_name
    assert engine.start("hard_extras", note="x", anything=1).data["anything"] == 1


def test_a_custom_create_context_decides_its_own_keywords(tm):
    # sample_user_onboarding's create_context(cls, user_id) takes no other keyword.
    with pytest.raises(TypeError):
        engine.start("sample_user_onboarding", user_id=1, dayz=4)
    assert WorkflowRun.objects.count() == 0


def test_a_signal_to_one_run_rejects_a_misspelt_key_and_changes_nothing(tm):
    run = engine.start("hard_waiter")
    with pytest.raises(SignalPayloadError) as raised:
        engine.signal("hard-go", {"aproved": True}, run_id=run.pk)
    assert "'aproved'" in str(raised.value)
    assert f"run {run.pk}'s Context" in str(raised.value)
    run.refresh_from_db()
    assert run.status == WorkflowStatus.SUSPENDED
    assert flows.CALLS == []
    assert engine.signal("hard-go", {"approved": True}, run_id=run.pk) == 1
    assert flows.CALLS == ["decide approved=True"]


def test_a_broadcast_merges_keys_into_the_runs_that_declare_them(tm):
    waiter = engine.start("hard_waiter")
    other = engine.start("hard_other_waiter")
    assert engine.signal("hard-go", {"approved": True, "reason": "ok"}) == 2
    waiter.refresh_from_db()
    other.refresh_from_db()
    assert waiter.status == other.status == WorkflowStatus.COMPLETED
    assert waiter.data["approved"] is True and "reason" not in waiter.data
    assert other.data == {"reason": "ok"}


def test_a_broadcast_rejects_a_key_no_receiving_run_declares(tm, settings):
    settings.DJANGO_AI = {"SIGNAL_BATCH_SIZE": 1}  # the key is judged over every batch
    runs = [engine.start("hard_waiter"), engine.start("hard_other_waiter")]
    with pytest.raises(SignalPayloadError, match="'reasn' are not fields of the Context of any"):
        engine.signal("hard-go", {"approved": True, "reasn": "typo"})
    for run in runs:
        run.refresh_from_db()
        assert run.status == WorkflowStatus.SUSPENDED
    assert flows.CALLS == []


def test_a_signal_that_reaches_no_run_is_still_harmless(tm):
    assert engine.signal("hard-go", {"whatever": 1}) == 0


def test_signal_keys_may_be_aliases_or_extras(tm):
    aliased = engine.start("hard_aliases")
    assert engine.signal("hard-alias", {"nb-days": 5}, run_id=aliased.pk) == 1
    aliased.refresh_from_db()
    assert aliased.data["days"] == 5
    extras = engine.start("hard_extras")
    assert engine.signal("hard-odd", {"it's": 1, 'say "hi"': 2}, run_id=extras.pk) == 1
    extras.refresh_from_db()
    assert extras.data == {"note": "", "it's": 1, 'say "hi"': 2}


ODD = {'it\'s "quoted"': 1, "a.b": 2, "with space": 3, "café": 4, "plain": 5}


class Collector(Backend):
    """Keeps deliveries, so a test sees what the signal itself wrote."""

    def __init__(self) -> None:
        self.steps: list[tuple[int, str, int]] = []

    def deliver(self, run_id: int, step: str, seq: int) -> None:
        self.steps.append((run_id, step, seq))

    def after_api_call(self) -> None:
        run_parked_handoffs()  # the test's transaction never commits

    def drain(self) -> None:
        while self.steps:
            engine.execute(*self.steps.pop(0))


@pytest.fixture
def collector(db):
    backend = Collector()
    set_backend_override(backend)
    yield backend
    set_backend_override(None)


def _waiting_odd_runs(collector: Collector, count: int) -> list[WorkflowRun]:
    runs = [engine.start("hard_odd_names") for _ in range(count)]
    collector.drain()
    return runs


@pytest.mark.parametrize("key", list(ODD))
def test_signal_merges_any_field_name(collector, key):
    """SQLite's JSON path cannot quote every name: such keys are saved through the ORM."""
    runs = _waiting_odd_runs(collector, 2)
    assert engine.signal("hard-odd", {key: 7}) == 2
    for run in runs:
        run.refresh_from_db()
        assert run.status == WorkflowStatus.RUNNING  # resumed; its next step is not run yet
        assert run.data == {**dict.fromkeys(ODD, 0), key: 7}
        assert _stored_keys(run) == list(ODD)  # no key written twice


def test_signal_merges_all_odd_names_at_once(collector):
    [run] = _waiting_odd_runs(collector, 1)
    assert engine.signal("hard-odd", ODD, run_id=run.pk) == 1
    run.refresh_from_db()
    assert run.data == ODD
    assert _stored_keys(run) == list(ODD)


def _stored_keys(run: WorkflowRun) -> list[str]:
    """The keys of the raw JSON text in the database, duplicates included, sorted."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT data FROM {WorkflowRun._meta.db_table} WHERE id = %s", [run.pk])
        raw = cursor.fetchone()[0]
    if not isinstance(raw, str):  # PostgreSQL's driver may decode jsonb itself
        raw = json.dumps(raw)
    pairs: list[str] = []
    json.loads(raw, object_pairs_hook=lambda items: pairs.extend(k for k, _ in items) or {})
    return sorted(pairs, key=list(ODD).index)


def test_run_subflow_with_an_undeclared_keyword_fails_the_parent_at_that_step(tm):
    run = engine.start("hard_bad_parent")
    run.refresh_from_db()
    assert run.status == WorkflowStatus.FAILED
    assert "Step 'launch' of workflow 'hard_bad_parent': run_subflow could not start" in run.error
    assert "'notte'" in run.error
    assert WorkflowRun.objects.count() == 1  # no child
    assert list(run.step_executions.values_list("step_name", "status")) == [("launch", "failed")]
