"""Signals to one run that arrive before the run waits for them are kept, then consumed."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.errors import SignalPayloadError
from django_ai.automation.workflows.models import StepExecution, WorkflowRun, WorkflowStatus
from tests.testapp import production


def history(run):
    return list(run.step_executions.order_by("id").values_list("step_name", "status"))


def test_a_signal_before_the_wait_is_kept_and_consumed_at_the_wait(tm):
    with transaction.atomic():  # nothing runs before the block ends
        run = engine.start("prod_early")
        outcome = engine.signal("prod-approve", {"approved": True, "note": "ok"}, run_id=run.pk)
        assert (outcome, outcome.kept, outcome.resumed) == (0, 1, 0)
        run.refresh_from_db()
        assert run.status == WorkflowStatus.RUNNING
        assert [item["name"] for item in run.kept_signals] == ["prod-approve"]
        assert run.kept_signals[0]["payload"] == {"approved": True, "note": "ok"}
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED
    assert run.data == {"approved": True, "note": "ok", "prepared": True}
    assert run.completion_display == {"display_title": "approved"}
    assert run.kept_signals == []
    # Recorded exactly as a live signal: the step that returned the wait, then the next one.
    assert history(run) == [("prepare", "completed"), ("ask", "completed"),
                            ("decide", "completed")]


def test_a_signal_to_a_waiting_run_resumes_it_as_before(tm):
    run = engine.start("prod_once")
    outcome = engine.signal("prod-paid", {"order_id": 5}, run_id=run.pk)
    assert (outcome, outcome.kept) == (1, 0)
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED and run.data["order_id"] == 5


def test_a_kept_payload_is_validated_when_it_is_sent(tm):
    with transaction.atomic():  # nothing runs before the block ends
        run = engine.start("prod_early")
        with pytest.raises(SignalPayloadError, match="approved"):
            engine.signal("prod-approve", {"approved": "not a bool"}, run_id=run.pk)
        assert WorkflowRun.objects.get(pk=run.pk).kept_signals == []


def test_a_run_waiting_for_another_signal_keeps_this_one_until_the_run_ends(tm):
    run = engine.start("prod_once")
    outcome = engine.signal("prod-other", {"order_id": 9}, run_id=run.pk)
    assert outcome.kept == 1
    engine.signal("prod-paid", run_id=run.pk)
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED
    assert run.data["order_id"] == 0  # the kept payload never merged
    assert run.kept_signals == []
    discarded = run.step_executions.get(status=StepExecution.Status.SIGNAL_DISCARDED)
    assert "'prod-other'" in discarded.error and "completed" in discarded.error


def test_cancelling_discards_and_records_kept_signals(tm):
    run = engine.start("prod_once")
    engine.signal("prod-later", run_id=run.pk)
    engine.cancel(run.pk)
    run.refresh_from_db()
    assert run.kept_signals == []
    assert history(run) == [("wait_for_payment", "signal_discarded"),
                            ("wait_for_payment", "cancelled")]


def test_a_signal_to_a_finished_run_is_neither_kept_nor_counted(tm):
    run = engine.start("prod_quick")
    outcome = engine.signal("prod-approve", run_id=run.pk)
    assert (outcome, outcome.kept) == (0, 0)
    assert WorkflowRun.objects.get(pk=run.pk).kept_signals == []


def test_broadcast_signals_reach_waiting_runs_only(tm):
    with transaction.atomic():  # nothing runs before the block ends
        early = engine.start("prod_early")
        outcome = engine.signal("prod-approve", {"approved": True})
    assert (outcome, outcome.kept) == (0, 0)
    early.refresh_from_db()
    assert early.status == WorkflowStatus.SUSPENDED and early.kept_signals == []


def test_two_kept_signals_of_one_name_are_consumed_in_order(tm):
    with transaction.atomic():  # nothing runs before the block ends
        run = engine.start("prod_early")
        engine.signal("prod-approve", {"note": "first"}, run_id=run.pk)
        engine.signal("prod-approve", {"note": "second"}, run_id=run.pk)
    run.refresh_from_db()
    assert run.data["note"] == "first"
    assert run.status == WorkflowStatus.COMPLETED
    assert [row[1] for row in history(run)].count("signal_discarded") == 1


def test_the_plain_int_result_still_reads_as_before(tm):
    run = engine.start("prod_once")
    outcome = engine.signal("prod-paid", run_id=run.pk)
    assert outcome == 1 and f"{outcome}" == "1" and str(outcome) == "1"
    assert repr(outcome) == "1" and outcome.resumed == 1 and outcome.kept == 0


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="needs PostgreSQL (set DATABASE_URL): a step and a signal at once")
@pytest.mark.django_db(transaction=True)
def test_a_signal_committed_while_the_step_before_the_wait_executes_is_not_lost():
    """The race of issue 12: the user clicks "approve" while ``prepare`` is still running."""
    from django_ai.automation.workflows.backends import set_backend_override
    from tests.test_query_counts import Collector

    collector = Collector()
    set_backend_override(collector)
    production.GATE.update(started=threading.Event(), release=threading.Event())
    outcomes = []
    try:
        run = engine.start("prod_early")

        def execute_prepare():
            try:
                collector.run_one()  # holds the run's row lock while the body waits
            finally:
                connection.close()

        def send():
            try:
                outcomes.append(engine.signal("prod-approve", {"approved": True},
                                              run_id=run.pk))
            finally:
                connection.close()

        worker = threading.Thread(target=execute_prepare)
        worker.start()
        assert production.GATE["started"].wait(10)
        sender = threading.Thread(target=send)
        sender.start()
        sender.join(0.5)
        assert sender.is_alive(), "the signal must wait for the executing step's commit"
        production.GATE["release"].set()
        worker.join(10)
        sender.join(10)
        # prepare committed a goto(ask); the signal found the run running: kept.
        assert [(o, o.kept) for o in outcomes] == [(0, 1)]
        collector.drain()
    finally:
        production.GATE.clear()
        set_backend_override(None)
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED, run.error
    assert run.data["approved"] is True
    assert run.completion_display == {"display_title": "approved"}
    assert timedelta(0) <= run.updated_at - run.created_at


def test_the_command_shows_kept_signals_and_lists_by_key(tm):
    from tests.test_command import run_command

    run = engine.start("prod_once", idempotency_key="shop-order-3")
    engine.start("prod_once")
    out, _ = run_command("signal", "prod-refund", '{"order_id": 3}', "--run", str(run.pk))
    assert "kept for its next wait" in out
    shown, _ = run_command("show", str(run.pk))
    assert "kept:     signal 'prod-refund'" in shown and '{"order_id": 3}' in shown
    assert "'shop-order-3' (idempotency key)" in shown
    listed, _ = run_command("list", "--idempotency-key", "shop-order-3")
    assert "1 of 1 matching runs shown." in listed
    engine.cancel(run.pk)
    out, _ = run_command("signal", "prod-paid", "--run", str(run.pk))
    assert f"Run {run.pk} is cancelled; no signal can reach it." in out


def test_an_answer_sent_after_the_timeout_is_taken_by_the_next_wait(tm):
    run = engine.start("prod_nudge")
    tm.advance(timedelta(hours=1, seconds=1))  # timed out: the nudge is being sent
    run.refresh_from_db()
    assert (run.current_step, run.status) == ("nudge", WorkflowStatus.WAITING)
    outcome = engine.signal("prod-answer", {"answer": "yes"}, run_id=run.pk)
    assert (outcome, outcome.kept) == (0, 1)
    tm.advance(timedelta(minutes=10))
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED
    assert run.completion_display == {"display_title": "answer: yes"}
