"""Schedules as rows (declared in code, or added by operators in the admin) and the record
of every due time fired: the unique (schedule, due_at) row is what makes a start happen
exactly once however many beats and workers tick at the same moment."""

from __future__ import annotations

from typing import Any

from django.db import models

from ..clock import now
from .timing import definition_problems, next_due


class Overlap(models.TextChoices):
    SKIP = "skip", "Skip while a run of this schedule is active"
    ALLOW = "allow", "Allow overlapping runs"
    CANCEL_PREVIOUS = "cancel_previous", "Cancel the active run, then start"


class CatchUp(models.TextChoices):
    LATEST = "latest", "Only the most recent missed time"
    ALL = "all", "Every missed time (up to the limit)"


class Schedule(models.Model):
    name = models.CharField(max_length=200, unique=True)
    workflow = models.CharField(max_length=200, help_text="The registered workflow name.")
    cron = models.CharField(max_length=200, blank=True, default="",
                            help_text="Five-field cron, e.g. '0 9 * * 1-5'; or use every.")
    every_seconds = models.PositiveIntegerField(null=True, blank=True,
                                                help_text="An interval instead of cron.")
    timezone = models.CharField(max_length=64, default="UTC",
                                help_text="IANA name the cron is read in, e.g. Europe/Paris.")
    kwargs = models.JSONField(default=dict, blank=True,
                              help_text="Passed to the workflow's create_context on each start.")
    overlap = models.CharField(max_length=20, choices=Overlap.choices, default=Overlap.SKIP)
    catch_up = models.CharField(max_length=10, choices=CatchUp.choices, default=CatchUp.LATEST)
    catch_up_limit = models.PositiveIntegerField(default=10)
    enabled = models.BooleanField(default=True)
    from_code = models.BooleanField(default=False, editable=False,
                                    help_text="Declared on the workflow; edit it in code.")
    next_due_at = models.DateTimeField(null=True, blank=True)
    last_due_at = models.DateTimeField(null=True, blank=True)
    last_run = models.ForeignKey("django_ai_workflows.WorkflowRun", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "django_ai_workflows"
        ordering = ["name"]
        indexes = [models.Index(fields=["enabled", "next_due_at"], name="dai_schedule_due_idx")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.next_due_at is None and self.enabled:
            self.plan_next()  # a new row (or one resumed or edited in the admin) starts from now
        super().save(*args, **kwargs)

    @property
    def calendar(self) -> str:
        if self.cron:
            return f"cron {self.cron} ({self.timezone})"
        return f"every {self.every_seconds}s"

    def problems(self) -> list[str]:
        return definition_problems(self.cron or None, self.every_seconds, self.timezone)

    def plan_next(self, after: Any = None) -> None:
        """Set ``next_due_at`` to the first due time after ``after`` (default: now)."""
        self.next_due_at = (next_due(self.cron, self.every_seconds, self.timezone,
                                     after or now()) if not self.problems() else None)


class ScheduleFire(models.Model):
    class Outcome(models.TextChoices):
        STARTED = "started", "Started"
        SKIPPED = "skipped", "Skipped (a previous run is still active)"
        FAILED = "failed", "Could not start"

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="fires")
    due_at = models.DateTimeField()
    run = models.ForeignKey("django_ai_workflows.WorkflowRun", null=True, blank=True,
                            on_delete=models.SET_NULL, related_name="+")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    detail = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "django_ai_workflows"
        ordering = ["-due_at"]
        constraints = [models.UniqueConstraint(fields=["schedule", "due_at"],
                                               name="dai_schedule_fire_once")]
        indexes = [models.Index(fields=["schedule", "run"], name="dai_fire_run_idx")]

    def __str__(self) -> str:
        return f"{self.schedule_id} @ {self.due_at:%Y-%m-%d %H:%M} ({self.outcome})"
