"""Issue 15: cheaper starts, ``engine.start_many`` and fan-outs handed off as one batch."""

from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

pytest.importorskip("celery", reason="the celery extra is not installed")

from django_ai.automation.workflows import tasks
from django_ai.automation.workflows.backends import set_backend_override
from django_ai.automation.workflows.backends.celery import CeleryBackend
from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.errors import StartValidationError
from django_ai.automation.workflows.models import StepExecution, WorkflowRun, WorkflowStatus
from tests.celery_app import app
from tests.test_query_counts import Collector, statements

CELERY = {"BACKEND": "celery", "STEP_MESSAGE_BATCH": 3}


class ManyCollector(Collector):
    """Records how deliveries arrive: one call per batch hand-off."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[tuple[int, str, int]]] = []

    def deliver_many(self, deliveries):
        self.batches.append(list(deliveries))
        super().deliver_many(deliveries)


@pytest.fixture
def collector(transactional_db):
    backend = ManyCollector()
    set_backend_override(backend)
    yield backend
    set_backend_override(None)


def test_start_outside_a_transaction_is_one_insert(collector):
    with CaptureQueriesContext(connection) as captured:
        run = engine.start("qc_waiter")
    data, control = statements(captured)
    assert len(data) == 1 and data[0].upper().startswith("INSERT"), data
    assert control == []  # no BEGIN/COMMIT of its own: the INSERT autocommits
    assert list(collector.steps) == [(run.pk, "wait_here", run.seq)]  # handed off at once


def test_start_inside_the_callers_transaction_waits_for_its_commit(collector):
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        run = engine.start("qc_waiter")
        assert not collector.steps  # nothing leaves before the caller commits
    data, control = statements(captured)
    assert len(data) == 1, data
    assert not any("SAVEPOINT" in text.upper() for text in control), control
    assert list(collector.steps) == [(run.pk, "wait_here", run.seq)]


def test_start_rolled_back_hands_nothing_off(collector):
    with pytest.raises(RuntimeError), transaction.atomic():
        engine.start("qc_waiter")
        raise RuntimeError("the caller changes its mind")
    assert not collector.steps
    assert not WorkflowRun.objects.exists()


def test_start_many_inserts_in_batches_and_hands_off_once(collector):
    with CaptureQueriesContext(connection) as captured:
        runs = engine.start_many("qc_waiter", [{"note": str(n)} for n in range(2500)])
    data, _control = statements(captured)
    if connection.vendor == "postgresql":
        assert len(data) == 3, data  # 1,000 rows per INSERT
    else:  # SQLite caps the parameters of one statement: Django splits smaller batches
        fields = [f for f in WorkflowRun._meta.concrete_fields if not f.primary_key]
        per_statement = connection.ops.bulk_batch_size(fields, runs)
        assert all(text.upper().startswith("INSERT") for text in data)
        assert len(data) <= 3 * -(-1000 // per_statement), len(data)
    assert len(runs) == 2500 and all(run.pk for run in runs)
    assert [run.data["note"] for run in runs[:3]] == ["0", "1", "2"]
    assert len(collector.batches) == 1 and len(collector.batches[0]) == 2500
    assert collector.batches[0][0] == (runs[0].pk, "wait_here", runs[0].seq)
    saved = dict(WorkflowRun.objects.values_list("pk", "data"))
    assert all(saved[run.pk] == {"note": run.data["note"]} for run in runs)  # ids in order
    stored = WorkflowRun.objects.get(pk=runs[7].pk)
    assert (stored.name, stored.status, stored.current_step) == ("qc_waiter", "running",
                                                                  "wait_here")
    assert stored.created_at is not None and stored.waiting_display == {}
    collector.drain()
    assert WorkflowRun.objects.filter(status=WorkflowStatus.SUSPENDED).count() == 2500


def test_start_many_validates_every_context_before_writing(collector):
    items = [{"note": "fine"}, {"note": "fine"}, {"note": ["not", "a", "string"]}]
    with pytest.raises(StartValidationError) as caught:
        engine.start_many("qc_waiter", items)
    message = str(caught.value)
    assert "'qc_waiter'" in message and "item 2" in message and "'note'" in message
    assert not WorkflowRun.objects.exists()
    assert not collector.steps
    with pytest.raises(TypeError, match="item 0 is list"):
        engine.start_many("qc_waiter", [["note"]])


def test_start_many_inside_the_callers_transaction_is_dropped_on_rollback(collector):
    with pytest.raises(RuntimeError), transaction.atomic():
        engine.start_many("qc_waiter", [{}, {}])
        raise RuntimeError("rolled back")
    assert not WorkflowRun.objects.exists()
    assert not collector.steps and not collector.batches


def test_signal_fan_out_is_one_batch_and_a_single_run_one_delivery(collector):
    runs = engine.start_many("qc_waiter", [{} for _ in range(10)])
    collector.drain()
    collector.batches.clear()
    assert engine.signal("qc-go", run_id=runs[0].pk) == 1
    assert collector.batches == []  # one run: a plain delivery
    assert len(collector.steps) == 1
    assert engine.signal("qc-go") == 9
    assert len(collector.batches) == 1 and len(collector.batches[0]) == 9
    collector.drain()
    assert WorkflowRun.objects.filter(status=WorkflowStatus.COMPLETED).count() == 10


# Celery: how a batch leaves and how a worker runs it ------------------------------------

def test_celery_publishes_a_fan_out_in_batch_messages_over_one_producer(settings):
    settings.DJANGO_AI = dict(CELERY)
    deliveries = [(n, "s", 1) for n in range(1, 8)]
    with mock.patch.object(tasks.execute_steps, "apply_async") as send, \
            mock.patch.object(tasks.execute_step, "apply_async") as single:
        CeleryBackend().deliver_many(deliveries)
        CeleryBackend().deliver_many([(9, "s", 2)])
    batches = [call.args[0][0] for call in send.call_args_list]
    assert batches == [[[1, "s", 1], [2, "s", 1], [3, "s", 1]],
                       [[4, "s", 1], [5, "s", 1], [6, "s", 1]], [[7, "s", 1]]]
    producers = {id(call.kwargs["producer"]) for call in send.call_args_list}
    assert len(producers) == 1
    single.assert_called_once_with((9, "s", 2))
    # A short argsrepr (logs, monitoring): Celery's own saferepr would walk every delivery.
    assert [call.kwargs["argsrepr"] for call in send.call_args_list] == [
        "([[1, 's', 1], ... 3 steps, ..., [3, 's', 1]],)",
        "([[4, 's', 1], ... 3 steps, ..., [6, 's', 1]],)",
        "([[7, 's', 1]],)"]


def test_celery_batch_publish_failure_is_logged_not_raised(settings, caplog):
    settings.DJANGO_AI = dict(CELERY)
    refused = mock.patch.object(tasks.execute_steps.app, "producer_or_acquire",
                                side_effect=OSError("broker down"))
    with refused, caplog.at_level("WARNING", logger="django_ai.workflows"):
        CeleryBackend().deliver_many([(1, "s", 1), (2, "s", 1)])
    assert "periodic task will recover them" in caplog.text


def test_batch_task_is_acknowledged_late():
    assert tasks.execute_steps.name == "django_ai.execute_steps"
    assert tasks.execute_steps.acks_late is True
    assert tasks.execute_steps.reject_on_worker_lost is True


@pytest.mark.django_db
def test_batch_task_runs_each_step_and_requeues_only_a_failing_one(settings):
    settings.DJANGO_AI = dict(CELERY)
    seen = []

    def execute(run_id, step, seq):
        seen.append(run_id)
        if run_id == 2:
            raise RuntimeError("database went away")
        return True

    with mock.patch.object(tasks.engine, "execute", side_effect=execute), \
            mock.patch.object(tasks, "publish_step") as publish:
        done = tasks.execute_steps.apply(args=([[1, "a", 1], [2, "a", 1], [3, "a", 1]],)).get()
    assert seen == [1, 2, 3]
    assert done == 2
    publish.assert_called_once_with(2, "a", 1)


@pytest.mark.django_db(transaction=True)
def test_signal_through_eager_celery_runs_every_resumed_step(settings):
    settings.DJANGO_AI = dict(CELERY)
    app.conf.update(task_always_eager=True, task_eager_propagates=True)
    try:
        with mock.patch.object(tasks.execute_steps, "apply_async",
                               wraps=tasks.execute_steps.apply_async) as batch:
            engine.start_many("qc_waiter", [{} for _ in range(7)])
            assert WorkflowRun.objects.filter(status=WorkflowStatus.SUSPENDED).count() == 7
            assert engine.signal("qc-go", {"note": "go"}) == 7
    finally:
        app.conf.update(task_always_eager=False, task_eager_propagates=False)
    assert batch.call_count == 6  # 3 batches for the starts, 3 for the signal (7 = 3 + 3 + 1)
    assert WorkflowRun.objects.filter(status=WorkflowStatus.COMPLETED,
                                      data__note="go").count() == 7
    assert StepExecution.objects.count() == 14
