"""Admin for schedules: operators add, edit, pause and resume them, and see every fire."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from .checking import row_problems
from .models import Schedule, ScheduleFire

_CALENDAR = ["workflow", "cron", "every_seconds", "timezone", "kwargs", "overlap", "catch_up",
             "catch_up_limit"]


class ScheduleFireInline(admin.TabularInline):
    model = ScheduleFire
    fields = ["due_at", "outcome", "run", "detail", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0
    ordering = ["-due_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("run")


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ["name", "workflow", "calendar", "enabled", "next_due_at", "last_due_at",
                    "last_run", "from_code"]
    list_filter = ["enabled", "from_code", "workflow"]
    search_fields = ["name", "workflow"]
    actions = ["pause", "resume"]
    inlines = [ScheduleFireInline]
    readonly_fields = ["from_code", "next_due_at", "last_due_at", "last_run", "last_error",
                       "created_at", "updated_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None and obj.from_code:  # the code is the source of these
            return [*_CALENDAR, "name", *self.readonly_fields]
        return list(self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: Schedule, form: Any, change: bool) -> None:
        problems = row_problems(obj)
        if problems:
            self.message_user(request, f"Schedule {obj.name!r}: {'; '.join(problems)}.",
                              messages.WARNING)
        obj.next_due_at = None  # an edit plans the next due time from now
        super().save_model(request, obj, form, change)

    @admin.action(description="Pause selected schedules", permissions=["change"])
    def pause(self, request: HttpRequest, schedules: QuerySet) -> None:
        count = schedules.update(enabled=False)
        self.message_user(request, f"Paused {count} schedule(s).", messages.SUCCESS)

    @admin.action(description="Resume selected schedules (from now, no catch-up)",
                  permissions=["change"])
    def resume(self, request: HttpRequest, schedules: QuerySet) -> None:
        count = 0
        for schedule in schedules:
            schedule.enabled, schedule.next_due_at = True, None
            schedule.save()
            count += 1
        self.message_user(request, f"Resumed {count} schedule(s).", messages.SUCCESS)
