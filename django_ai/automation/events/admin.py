"""Admin listing of events: filter by name and status, link to the entity."""

from __future__ import annotations

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from .models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["event_name", "entity_link", "at", "status", "kind", "occurred_at",
                    "created_at"]
    list_filter = ["event_name", "status", "kind"]
    search_fields = ["event_name", "entity_id"]
    date_hierarchy = "at"
    list_select_related = ["entity_type"]
    readonly_fields = [field.name for field in Event._meta.fields] + ["entity_link"]

    @admin.display(description="entity")
    def entity_link(self, event: Event) -> str:
        content_type = event.entity_type
        text = f"{content_type.app_label}.{content_type.model} #{event.entity_id}"
        try:
            url = reverse(f"admin:{content_type.app_label}_{content_type.model}_change",
                          args=[event.entity_id])
        except NoReverseMatch:  # the entity's model is not in the admin
            return text
        return format_html('<a href="{}">{}</a>', url, text)

    def has_add_permission(self, request: object) -> bool:
        return False  # events are recorded by saves and emit(), not typed in
