"""Filling the tables fast (server-side ``INSERT ... SELECT generate_series``), for the growth
levels and for the waiting runs a fan-out needs."""

from __future__ import annotations

from django.db import connection

RUNS = "django_ai_workflows_workflowrun"
HISTORY = "django_ai_workflows_stepexecution"
_COLUMNS = ("name, version, status, current_step, data, progress, error, attempt, seq, "
            "wait_kind, waiting_for, wake_at, on_timeout_step, resume_step, entity_model, "
            "entity_id, completion_display, waiting_display, created_at, updated_at, finished_at")


def last_id() -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT coalesce(max(id), 0) FROM {RUNS}")
        return cur.fetchone()[0]


def _insert_runs(count: int, select: str, params: list[object]) -> tuple[int, int]:
    """Insert ``count`` runs from a SELECT over ``generate_series(1, count) AS g``;
    returns the (first, last) new ids."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT coalesce(max(id), 0) FROM {RUNS}")
        before = cur.fetchone()[0]
        cur.execute(f"INSERT INTO {RUNS} ({_COLUMNS}) {select} FROM generate_series(1, %s) AS g",
                    [*params, count])
        cur.execute(f"SELECT coalesce(max(id), 0) FROM {RUNS}")
        return before + 1, cur.fetchone()[0]


def add_finished_runs(count: int, history_per_run: int = 2) -> None:
    """Completed ``bench_chain`` runs, created over the last 30 days, with history rows."""
    if count <= 0:
        return
    past = "now() - interval '1 day' - (g %% 43200) * interval '1 minute'"
    first, last = _insert_runs(count, (
        "SELECT 'bench_chain', '1', 'completed', 's9', '{\"n\": 0}'::jsonb, 1.0, '', 0, 10, "
        f"'', '', NULL, '', '', '', '', '{{}}'::jsonb, '{{}}'::jsonb, {past}, {past}, {past}"), [])
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {HISTORY} (run_id, step_name, status, error, attempt, created_at) "
            "SELECT r.id, 's' || k, 'completed', '', 1, r.created_at "
            f"FROM {RUNS} r CROSS JOIN generate_series(0, %s) AS k "
            "WHERE r.id BETWEEN %s AND %s ORDER BY r.id, k",
            [history_per_run - 1, first, last])


def add_sleeping_runs(count: int) -> None:
    """``bench_sleep`` runs asleep with timers between one hour and 30 days away."""
    _insert_runs(count, (
        "SELECT 'bench_sleep', '1', 'waiting', 'nap', '{\"slept\": true, \"started\": 0.0}'::jsonb,"
        " 0.0, '', 0, 1, 'sleep', '', now() + interval '1 hour' + (g %% 43200) * interval "
        "'1 minute', '', '', '', '', '{}'::jsonb, '{}'::jsonb, now(), now(), NULL"), [])


def add_signal_waiters(count: int, signal: str = "bench-go") -> None:
    """``bench_signal`` runs suspended at ``wait_here`` until ``signal``."""
    _insert_runs(count, (
        "SELECT 'bench_signal', '1', 'suspended', 'wait_here', '{\"started\": 0.0}'::jsonb, 0.0,"
        " '', 0, 1, 'signal', %s, NULL, '', 'resumed', '', '', '{}'::jsonb, '{}'::jsonb, "
        "now(), now(), NULL"), [signal])


def add_due_sleepers(count: int) -> None:
    """``bench_sleep`` runs whose one-second sleep is already over."""
    _insert_runs(count, (
        "SELECT 'bench_sleep', '1', 'waiting', 'nap', '{\"slept\": true, \"started\": 0.0}'::jsonb,"
        " 0.0, '', 0, 1, 'sleep', '', now() - interval '1 second', '', '', '', '', '{}'::jsonb,"
        " '{}'::jsonb, now(), now(), NULL"), [])


def delete_runs(where: str, params: list[object] | None = None) -> None:
    """Retire bench scaffolding runs matching a WHERE clause: mark them finished.

    They are not deleted: the run table's self-referencing foreign keys (parent_run,
    active_child) make PostgreSQL check every deleted id against ``active_child_id``, which
    has no index, so deleting 10,000 runs from a 1M-row table scans it 10,000 times."""
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {RUNS} SET status = 'completed', wait_kind = '', waiting_for = '', "
                    "wake_at = NULL, finished_at = now() "
                    f"WHERE status <> 'completed' AND ({where})", params or [])


def analyze(vacuum: bool = False) -> None:
    """Refresh planner statistics (autovacuum would, a little later, in production). With
    ``vacuum``, also vacuum and checkpoint, so that background work after a bulk load does
    not run during the next measurement."""
    with connection.cursor() as cur:
        for name in (RUNS, HISTORY):
            cur.execute(f"VACUUM (ANALYZE) {name}" if vacuum else f"ANALYZE {name}")
        if vacuum:
            cur.execute("CHECKPOINT")


def counts() -> dict[str, int]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT status, count(*) FROM {RUNS} GROUP BY status")
        found = dict(cur.fetchall())
        cur.execute(f"SELECT count(*) FROM {HISTORY}")
        found["history rows"] = cur.fetchone()[0]
    return found
