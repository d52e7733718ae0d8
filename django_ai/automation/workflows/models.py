"""Persisted state: one ``WorkflowRun`` per run and a ``StepExecution`` row per finished step."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from .deletion import protect_waiting_parent
from .display import current_step_display


class WorkflowStatus(models.TextChoices):
    RUNNING = "running", "Running"
    WAITING = "waiting", "Waiting"
    SUSPENDED = "suspended", "Suspended"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


TERMINAL_STATUSES = (WorkflowStatus.COMPLETED, WorkflowStatus.FAILED, WorkflowStatus.CANCELLED)


class WaitKind(models.TextChoices):
    """Why a run that is not RUNNING is not running; decides what its timer or resume does."""

    NONE = "", "None"
    START = "start", "Planned start"
    SLEEP = "sleep", "Sleep"
    RETRY = "retry", "Retry backoff"
    SIGNAL = "signal", "Signal"
    EVENT = "event", "Event"
    ACTION = "action", "Action"
    SUBFLOW = "subflow", "Subworkflow"
    # A delivery met a workflow or step this process does not know (a rolling deploy):
    # handed back, tried again when ``wake_at`` comes (see engine/deploys.py).
    CODE = "code", "Unknown code"
    # Added by issue 13: queued for a place under a concurrency limit (no timer; woken when a
    # place frees), and spaced out by a rate limit (a timer like a sleep).
    LIMIT = "limit", "Concurrency limit"
    RATE = "rate", "Rate limit"


class WorkflowRunQuerySet(models.QuerySet):
    def timed(self) -> WorkflowRunQuerySet:
        """Runs with a pending timer (sleep, retry, timeout, planned start), earliest first."""
        return self.filter(
            status__in=(WorkflowStatus.WAITING, WorkflowStatus.SUSPENDED), wake_at__isnull=False
        ).order_by("wake_at", "id")

    def due(self, now: Any) -> WorkflowRunQuerySet:
        """Runs whose timer has come."""
        return self.timed().filter(wake_at__lte=now)

    def waiting_for_signal(self, name: str) -> WorkflowRunQuerySet:
        return self.filter(
            status=WorkflowStatus.SUSPENDED, wait_kind=WaitKind.SIGNAL, waiting_for=name
        )

    def active(self) -> WorkflowRunQuerySet:
        return self.exclude(status__in=TERMINAL_STATUSES)


class WorkflowRun(models.Model):
    name = models.CharField(max_length=200, db_index=True)
    version = models.CharField(max_length=50, default="1")
    status = models.CharField(max_length=16, choices=WorkflowStatus.choices,
                              default=WorkflowStatus.RUNNING)
    current_step = models.CharField(max_length=200, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    progress = models.FloatField(default=0.0)
    error = models.TextField(blank=True, default="")
    # Attempts made at the current step; reset when the run moves to another step.
    attempt = models.PositiveIntegerField(default=0)
    # Bumped on every transition; a delivery carrying an older value is stale.
    seq = models.PositiveIntegerField(default=0)
    # Bounds tries that never finish (engine/tries.py): 0 while no delivery of the current
    # transition is known to be lost or failed; then 1 + the tries counted since.
    redeliveries = models.PositiveSmallIntegerField(default=0, db_default=0)
    # The shape of the Context class that wrote ``data`` (engine/contextdata.py).
    context_fingerprint = models.CharField(max_length=16, blank=True, default="", db_default="")

    wait_kind = models.CharField(max_length=16, choices=WaitKind.choices, blank=True, default="")
    waiting_for = models.CharField(max_length=200, blank=True, default="")
    wake_at = models.DateTimeField(null=True, blank=True)
    on_timeout_step = models.CharField(max_length=200, blank=True, default="")
    resume_step = models.CharField(max_length=200, blank=True, default="")

    parent_run = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="child_runs")
    # Indexed only where set (see Meta): deleting a run looks up parents pointing at it.
    # A child its parent waits for cannot be deleted alone (deletion.py).
    active_child = models.ForeignKey("self", null=True, blank=True,
                                     on_delete=protect_waiting_parent, related_name="+",
                                     db_index=False)
    # Entity binding for event waits: "app_label.model" (blank matches any model) and its pk.
    entity_model = models.CharField(max_length=200, blank=True, default="")
    entity_id = models.CharField(max_length=64, blank=True, default="")
    # The event occurrence that planned this run, when an event workflow started it.
    trigger_event_id = models.BigIntegerField(null=True, blank=True)
    # Who started the run (engine.start(..., started_by=user)); children inherit it. Without a
    # RUN_VISIBILITY_HOOK, non-staff users see and advance only the runs they started.
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   db_index=False)
    # engine.start(..., idempotency_key=...): unique per workflow name (see Meta); "" = none.
    # New columns have database defaults: during a rolling deploy, processes still on the
    # previous release insert runs without them.
    idempotency_key = models.CharField(max_length=200, blank=True, default="", db_default="")
    # Signals sent to this run before it waited for them: [{"name", "payload", "kept_at"}].
    kept_signals = models.JSONField(default=list, blank=True, db_default=[])
    # When a delivery first met code this process lacks (rolling deploys); None otherwise.
    unknown_code_since = models.DateTimeField(null=True, blank=True)

    completion_display = models.JSONField(default=dict, blank=True)
    waiting_display = models.JSONField(default=dict, blank=True)
    # The current step visit's attempts and waits, moved to its history row when it ends
    # (engine/steplog.py); the run timeline reads both.
    step_log = models.JSONField(default=list, db_default=[], blank=True)
    # W3C trace context of the code that started the run (OpenTelemetry extra), so each step's
    # span joins that trace whichever worker runs it.
    trace_context = models.JSONField(default=dict, db_default={}, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = WorkflowRunQuerySet.as_manager()

    #: Set on the run ``engine.start(..., idempotency_key=...)`` returns: True when an earlier
    #: start with that key had created it (nothing was started).
    is_duplicate_start: bool = False

    class Meta:
        app_label = "django_ai_workflows"
        ordering = ["-id"]
        constraints = [
            # Among unfinished runs the database itself refuses a second run with one key;
            # finished runs keep their key and the engine decides whether it may be reused
            # (engine/idempotency.py, setting IDEMPOTENCY_KEY_REUSE).
            models.UniqueConstraint(
                fields=["idempotency_key", "name"], name="dai_run_idempotency_uniq",
                condition=~models.Q(idempotency_key="") & models.Q(finished_at__isnull=True),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "wake_at"], name="dai_run_due_idx",
                         condition=models.Q(wake_at__isnull=False)),
            # Ends with id so signal fan-out reads its batches in index order.
            models.Index(fields=["wait_kind", "waiting_for", "id"], name="dai_run_waiters_idx",
                         condition=models.Q(status="suspended")),
            # Run lists by status, and recovery's scan of the (few) RUNNING runs. No index
            # holds updated_at, which every transition changes, so that a plain goto can be a
            # HOT update on PostgreSQL.
            models.Index(fields=["status", "id"], name="dai_run_status_id_idx"),
            models.Index(fields=["active_child"], name="dai_run_active_child_idx",
                         condition=models.Q(active_child__isnull=False)),
            models.Index(fields=["entity_model", "entity_id"], name="dai_run_entity_idx",
                         condition=~models.Q(entity_id="")),
            models.Index(fields=["trigger_event_id"], name="dai_run_trigger_idx",
                         condition=models.Q(trigger_event_id__isnull=False)),
            # Retention and the dashboard find finished runs by when they finished. Written
            # once, by the finishing UPDATE, which already changes the indexed status.
            models.Index(fields=["finished_at"], name="dai_run_finished_idx",
                         condition=models.Q(finished_at__isnull=False)),
            # A user's own runs, newest first (the run list for non-staff users).
            models.Index(fields=["started_by", "id"], name="dai_run_started_by_idx",
                         condition=models.Q(started_by__isnull=False)),
            # Finding the run of a key, finished or not (starts, ?idempotency_key= filters).
            models.Index(fields=["idempotency_key", "name"], name="dai_run_idem_key_idx",
                         condition=~models.Q(idempotency_key="")),
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def current_step_display(self) -> dict[str, Any]:
        """Everything a frontend needs to render this run's current state."""
        return current_step_display(self)

    def cancel(self, reason: str | None = None) -> WorkflowRun:
        from .engine import engine

        engine.cancel(self.pk, reason=reason)
        self.refresh_from_db()
        return self

    def retry_current_step(self) -> WorkflowRun:
        from .engine import engine

        engine.retry_current_step(self.pk)
        self.refresh_from_db()
        return self


class StepExecution(models.Model):
    class Status(models.TextChoices):
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        # Not a step: a kept signal the run never waited for, dropped when the run ended.
        SIGNAL_DISCARDED = "signal_discarded", "Kept signal discarded"

    run = models.ForeignKey(WorkflowRun, on_delete=models.CASCADE, related_name="step_executions")
    step_name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices)
    error = models.TextField(blank=True, default="")
    attempt = models.PositiveIntegerField(default=1)
    # The visit's attempts and waits (see engine/steplog.py); created_at is when it ended.
    segments = models.JSONField(default=list, db_default=[], blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "django_ai_workflows"
        ordering = ["id"]
        indexes = [models.Index(fields=["run", "id"], name="dai_step_run_idx")]

    def __str__(self) -> str:
        return f"{self.step_name} ({self.status})"


# Issue 13's tables (limits, schedules), and the operator pages' admin entries (no tables).
from .limits.models import LimitGate, LimitHolder, LimitWaiter  # noqa: E402, F401
from .observe.proxies import WorkflowDashboard, WorkflowGraph  # noqa: E402, F401
from .scheduling.models import Schedule, ScheduleFire  # noqa: E402, F401
