"""Admin for runs: status and progress at a glance, history inline, cancel and retry actions.

Cancel and retry ask first, as delete does: the action shows a page listing the selected runs,
and only its "Yes" button (which posts ``post=yes``) acts on them.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html

from .engine import engine
from .errors import WorkflowError
from .models import StepExecution, WorkflowRun
from .observe.admin import RunPicturesMixin

CONFIRM_TEMPLATE = "admin/django_ai_workflows/workflowrun/confirm_operation.html"
# The confirmation page names at most this many runs (and says how many more there are).
CONFIRM_LIST_LIMIT = 200


def _pretty_json(value: Any) -> str:
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>', text)


class StepExecutionInline(admin.TabularInline):
    model = StepExecution
    fields = ["step_name", "status", "attempt", "created_at", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class HasIdempotencyKey(admin.SimpleListFilter):
    title = "idempotency key"
    parameter_name = "keyed"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Started with a key"), ("no", "Without a key")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.exclude(idempotency_key="")
        if self.value() == "no":
            return queryset.filter(idempotency_key="")
        return queryset


@admin.register(WorkflowRun)
class WorkflowRunAdmin(RunPicturesMixin, admin.ModelAdmin):
    list_display = ["id", "name", "status", "current_step", "progress_percent", "wake_at",
                    "started_by", "created_at", "updated_at"]
    list_filter = ["status", "name", "wait_kind", HasIdempotencyKey, "created_at",
                   ("started_by", admin.EmptyFieldListFilter)]
    list_select_related = ["started_by"]
    # "=id" searches the run id exactly; a non-numeric term simply does not match it.
    search_fields = ["name", "=id", "current_step", "=idempotency_key", "=started_by__username"]
    date_hierarchy = "created_at"
    ordering = ["-id"]
    inlines = [StepExecutionInline]
    actions = ["cancel_runs", "retry_runs"]
    fieldsets = [
        (None, {"fields": ["name", "version", "status", "current_step", "progress_percent",
                           "error", "started_by", "idempotency_key", "created_at",
                           "updated_at", "finished_at"]}),
        ("Context", {"fields": ["context"]}),
        ("Waiting", {"fields": ["why", "wait_kind", "waiting_for", "wake_at",
                                "on_timeout_step", "resume_step", "signals_kept",
                                "unknown_code_since"]}),
        ("Display", {"fields": ["display"], "classes": ["collapse"]}),
        ("Relations", {"fields": ["parent_run", "active_child", "entity_model", "entity_id",
                                  "trigger_event_id"], "classes": ["collapse"]}),
    ]
    readonly_fields = [
        "name", "version", "status", "current_step", "progress_percent", "error", "started_by",
        "created_at",
        "updated_at", "finished_at", "context", "wait_kind", "waiting_for", "wake_at",
        "on_timeout_step", "resume_step", "display", "why", "parent_run", "active_child",
        "entity_model", "entity_id", "trigger_event_id", "idempotency_key", "signals_kept",
        "unknown_code_since",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # runs are started by engine.start(), never typed in

    @admin.display(description="progress", ordering="progress")
    def progress_percent(self, run: WorkflowRun) -> str:
        percent = round(run.progress * 100)
        return format_html('<progress value="{}" max="100"></progress> {}%', percent, percent)

    @admin.display(description="Context (JSON)")
    def context(self, run: WorkflowRun) -> str:
        return _pretty_json(run.data)

    @admin.display(description="why")
    def why(self, run: WorkflowRun) -> str:
        """What the run waits for and since when (a limit's queue included)."""
        from .management.runinfo import why_waiting

        return why_waiting(run)

    @admin.display(description="kept signals")
    def signals_kept(self, run: WorkflowRun) -> str:
        """Signals sent before the run waited for them; its next wait for each takes it."""
        return _pretty_json(run.kept_signals) if run.kept_signals else "-"

    @admin.display(description="current_step_display")
    def display(self, run: WorkflowRun) -> str:
        return _pretty_json(run.current_step_display)

    def _operate(self, request: HttpRequest, runs: QuerySet, verb: str, operation: Any) -> None:
        done, problems = 0, []
        for run in runs:
            try:
                done += 1 if operation(run) is not False else 0
            except WorkflowError as exc:
                problems.append(f"#{run.pk}: {exc}")
        self.message_user(request, f"{verb} {done} run(s).", messages.SUCCESS)
        for problem in problems:
            self.message_user(request, problem, messages.ERROR)

    def _confirmation(self, request: HttpRequest, runs: QuerySet, action: str,
                      question: str) -> TemplateResponse:
        shown = list(runs.select_related("started_by").order_by("-id")[:CONFIRM_LIST_LIMIT])
        total = runs.count()
        context = {
            **self.admin_site.each_context(request),
            "title": question, "opts": self.model._meta, "action": action,
            "runs": shown, "total": total, "more": total - len(shown),
            # Post back what the changelist posted: the ids, or "all matching the filters".
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME, "media": self.media,
            "ask_reason": action == "cancel_runs",
        }
        return TemplateResponse(request, CONFIRM_TEMPLATE, context)

    @admin.action(description="Cancel selected runs", permissions=["change"])
    def cancel_runs(self, request: HttpRequest, runs: QuerySet) -> TemplateResponse | None:
        if request.POST.get("post") != "yes":
            return self._confirmation(request, runs, "cancel_runs",
                                      "Cancel these runs and their active subworkflows?")
        reason = (request.POST.get("reason") or "").strip()[:2000] or (
            f"Cancelled from the admin by {request.user}.")
        self._operate(request, runs, "Cancelled", lambda run: engine.cancel(run.pk, reason))
        return None

    @admin.action(description="Retry selected failed runs", permissions=["change"])
    def retry_runs(self, request: HttpRequest, runs: QuerySet) -> TemplateResponse | None:
        if request.POST.get("post") != "yes":
            return self._confirmation(request, runs, "retry_runs",
                                      "Retry the current step of these runs?")
        self._operate(request, runs, "Retried",
                      lambda run: engine.retry_current_step(run.pk))
        return None


from .scheduling import admin as _schedules_admin  # noqa: E402, F401  (registers ScheduleAdmin)
