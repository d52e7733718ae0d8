"""engine.start(..., idempotency_key=...): at most one run per workflow name and key."""

import threading

import pytest
from django.db import connection, transaction

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.errors import RunStateError
from django_ai.automation.workflows.models import WorkflowRun, WorkflowStatus


def test_a_second_start_with_the_key_returns_the_first_run_and_starts_nothing(tm):
    first = engine.start("prod_once", idempotency_key="order-1", order_id=1)
    again = engine.start("prod_once", idempotency_key="order-1", order_id=1)
    assert again.pk == first.pk
    assert (first.is_duplicate_start, again.is_duplicate_start) == (False, True)
    assert WorkflowRun.objects.count() == 1
    assert first.idempotency_key == "order-1"


def test_the_key_is_per_workflow_name(tm):
    one = engine.start("prod_once", idempotency_key="k")
    other = engine.start("prod_quick", idempotency_key="k")
    assert one.pk != other.pk


def test_a_start_without_a_key_never_matches(tm):
    engine.start("prod_quick")
    engine.start("prod_quick")
    assert WorkflowRun.objects.filter(idempotency_key="").count() == 2


def test_a_finished_run_keeps_its_key_by_default(tm):
    done = engine.start("prod_quick", idempotency_key="daily-2026-01-01")
    assert done.status == WorkflowStatus.COMPLETED
    again = engine.start("prod_quick", idempotency_key="daily-2026-01-01")
    assert again.pk == done.pk and again.is_duplicate_start
    assert again.status == WorkflowStatus.COMPLETED


def test_reuse_after_finish_is_an_option(tm, settings):
    settings.DJANGO_AI = {"IDEMPOTENCY_KEY_REUSE": True}
    done = engine.start("prod_quick", idempotency_key="nightly")
    fresh = engine.start("prod_quick", idempotency_key="nightly")
    assert fresh.pk != done.pk and not fresh.is_duplicate_start
    # While a run with the key is unfinished, the key still returns it.
    waiting = engine.start("prod_once", idempotency_key="nightly")
    assert engine.start("prod_once", idempotency_key="nightly").pk == waiting.pk


def test_reuse_refuses_to_retry_an_old_run_whose_key_is_taken(tm, settings):
    settings.DJANGO_AI = {"IDEMPOTENCY_KEY_REUSE": True}
    old = engine.start("prod_once", idempotency_key="k")
    engine.cancel(old.pk)
    engine.start("prod_once", idempotency_key="k")
    WorkflowRun.objects.filter(pk=old.pk).update(status=WorkflowStatus.FAILED)
    with pytest.raises(RunStateError, match="idempotency key"):
        engine.retry_current_step(old.pk)


@pytest.mark.parametrize("key", ["", 12, "x" * 201])
def test_a_bad_key_is_refused_naming_the_workflow(tm, key):
    with pytest.raises(ValueError, match=r"prod_once.*idempotency_key"):
        engine.start("prod_once", idempotency_key=key)
    assert not WorkflowRun.objects.exists()


def test_a_duplicate_inside_the_callers_transaction_leaves_it_usable(tm):
    with transaction.atomic():
        first = engine.start("prod_once", idempotency_key="k")
        again = engine.start("prod_once", idempotency_key="k")
        assert again.pk == first.pk
        assert WorkflowRun.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_start_without_a_key_takes_the_statements_it_always_took():
    from django.test.utils import CaptureQueriesContext

    from django_ai.automation.workflows.backends import set_backend_override
    from tests.test_query_counts import Collector, statements

    set_backend_override(Collector())
    try:
        with CaptureQueriesContext(connection) as captured:
            engine.start("prod_quick")
    finally:
        set_backend_override(None)
    data, _ = statements(captured)
    assert len(data) == 1 and data[0].startswith("INSERT"), data


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="needs PostgreSQL (set DATABASE_URL): concurrent real connections")
@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_with_one_key_create_exactly_one_run():
    from django_ai.automation.workflows.backends import set_backend_override
    from tests.test_query_counts import Collector

    callers = 8
    barrier = threading.Barrier(callers)
    got: list[int] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            barrier.wait()
            got.append(engine.start("prod_once", idempotency_key="webhook-77", order_id=77).pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    set_backend_override(Collector())
    try:
        threads = [threading.Thread(target=start) for _ in range(callers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        set_backend_override(None)
    assert not errors, errors
    assert WorkflowRun.objects.filter(name="prod_once").count() == 1
    assert got == [WorkflowRun.objects.get().pk] * callers


def test_checks_flag_reserved_context_fields_and_unknown_api_start_workflows(settings):
    from pydantic import BaseModel

    from django_ai.automation.workflows import registry
    from django_ai.automation.workflows.checks import check_api_start, check_reserved_context_fields
    from django_ai.automation.workflows.core import complete, step, workflow

    @workflow("prod_reserved_field")
    class Reserved:
        class Context(BaseModel):
            idempotency_key: str = ""

        @step(start=True)
        def only(self):
            return complete()

    try:
        warnings = check_reserved_context_fields()
        assert [w.id for w in warnings] == ["django_ai.W040"]
        assert "prod_reserved_field" in warnings[0].msg and "idempotency_key" in warnings[0].msg
    finally:
        registry.unregister("prod_reserved_field")
    settings.DJANGO_AI = {"API_START": {"prod_once": [], "no_such_flow": []}}
    assert [e.id for e in check_api_start()] == ["django_ai.E041"]
