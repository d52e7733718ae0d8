"""Query plans of the events app's timer queries with 100,000 pending future events.

Fills the events table (100,000 pending events due over the coming days, plus 50,000 that
already occurred), captures the SQL the timer source really sends, and prints
EXPLAIN (ANALYZE, BUFFERS) of each, in a transaction that is rolled back. Then it makes 500
events due and times one claim of them.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_events python -m bench.events_plan

The database is dropped and created again (its name must start with "bench").
"""

from __future__ import annotations

import time

from django.contrib.contenttypes.models import ContentType
from django.db import connection, reset_queries, transaction
from django.test.utils import CaptureQueriesContext

from django_ai.automation.events import firing
from django_ai.automation.events.models import Event
from django_ai.automation.workflows.clock import now

from .common import db_url, setup_django

PENDING = 100_000
OCCURRED = 50_000


def populate() -> None:
    """Insert the rows in SQL (``generate_series``): 150,000 ORM saves would take minutes."""
    type_id = ContentType.objects.get_for_model(ContentType).pk
    insert = (
        "INSERT INTO django_ai_events_event (event_name, entity_type_id, entity_id, at, status,"
        " kind, planned, note, created_at, updated_at, occurred_at) SELECT %s, %s, g::text, {at},"
        " %s, 'scheduled', true, '', now(), now(), {occurred} FROM generate_series(1, %s) g"
    )
    with connection.cursor() as cur:
        cur.execute(insert.format(at="now() + g * interval '5 seconds'", occurred="NULL"),
                    ["appointment_due", type_id, "pending", PENDING])
        cur.execute(insert.format(at="now() - g * interval '5 seconds'", occurred="now()"),
                    ["appointment_due", type_id, "occurred", OCCURRED])
        cur.execute("ANALYZE django_ai_events_event")


def timer_queries() -> dict[str, str]:
    """The SELECTs one tick (``fire_due``) and ``next_due`` send, as PostgreSQL received them."""
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        firing.fire_due(now())
        firing.next_due()
    selects = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
    names = ["claim unplanned events (skip locked)", "claim due events (skip locked)",
             "next due: earliest pending", "next due: earliest unplanned"]
    return dict(zip(names, selects, strict=True))


def explain(sql: str) -> list[str]:
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        lines = [row[0] for row in cur.fetchall()]
        transaction.set_rollback(True)
    return lines


def time_due_claim() -> None:
    """Make 500 events due and time one claim of them (rolled back)."""
    with transaction.atomic():
        Event.objects.filter(pk__in=Event.objects.pending().order_by("at")[:500]
                             .values("pk")).update(at=now())
        started = time.perf_counter()
        batch = list(Event.objects.due(now()).select_for_update(skip_locked=True)[:500])
        elapsed = (time.perf_counter() - started) * 1000
        transaction.set_rollback(True)
    print(f"\nclaiming {len(batch)} due events among {PENDING:,} pending: {elapsed:.1f} ms")


def main() -> None:
    print(f"database: {db_url()}")
    setup_django(fresh=True)
    populate()
    print(f"events: {Event.objects.pending().count():,} pending (all in the future), "
          f"{Event.objects.filter(status='occurred').count():,} occurred")
    for name, sql in timer_queries().items():
        print(f"\n#### {name}\n{sql}\n")
        print("\n".join(explain(sql)))
    time_due_claim()


if __name__ == "__main__":
    main()
