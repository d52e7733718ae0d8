"""Rows that enforce limits across processes: one gate per (scope, key), its holders and its
FIFO queue of waiting runs. Taking or freeing a place locks the gate row, so two workers
never both take the last place."""

from __future__ import annotations

from django.db import models


class LimitGate(models.Model):
    scope = models.CharField(max_length=200)
    key = models.CharField(max_length=200, blank=True, default="")
    # The concurrency declared in code when the gate was last used (the sweep reads it).
    capacity = models.PositiveIntegerField(null=True, blank=True)
    # Rate limits: the theoretical arrival time of the next entry (GCRA).
    next_entry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "django_ai_workflows"
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="dai_gate_uniq")]

    def __str__(self) -> str:
        return f"{self.scope} [{self.key}]" if self.key else self.scope


class LimitHolder(models.Model):
    """A run holding one place of a gate ("" step: the workflow's own limit)."""

    gate = models.ForeignKey(LimitGate, on_delete=models.CASCADE, related_name="holders")
    run = models.ForeignKey("django_ai_workflows.WorkflowRun", on_delete=models.CASCADE,
                            related_name="+")
    step = models.CharField(max_length=200, blank=True, default="")
    since = models.DateTimeField()

    class Meta:
        app_label = "django_ai_workflows"
        constraints = [models.UniqueConstraint(fields=["gate", "run"], name="dai_holder_uniq")]
        indexes = [models.Index(fields=["run"], name="dai_holder_run_idx")]

    def __str__(self) -> str:
        return f"run {self.run_id} holds {self.gate_id}"


class LimitWaiter(models.Model):
    """A run queued for a place; the lowest id is served first (FIFO per gate)."""

    gate = models.ForeignKey(LimitGate, on_delete=models.CASCADE, related_name="waiters")
    run = models.ForeignKey("django_ai_workflows.WorkflowRun", on_delete=models.CASCADE,
                            related_name="+")
    # The step the place is for ("" for the workflow's own limit), copied to its holder row.
    step = models.CharField(max_length=200, blank=True, default="")
    # Queued while starting: the workflow's own limit must be taken when it is served.
    starting = models.BooleanField(default=False)
    since = models.DateTimeField()

    class Meta:
        app_label = "django_ai_workflows"
        constraints = [models.UniqueConstraint(fields=["gate", "run"], name="dai_waiter_uniq")]
        indexes = [models.Index(fields=["gate", "id"], name="dai_waiter_fifo_idx"),
                   models.Index(fields=["run"], name="dai_waiter_run_idx")]

    def __str__(self) -> str:
        return f"run {self.run_id} queued at {self.gate_id}"
