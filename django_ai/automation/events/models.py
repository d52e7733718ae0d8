"""One ``Event`` row per planned or recorded occurrence of an entity's event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class EventStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    OCCURRED = "occurred", "Occurred"
    CANCELLED = "cancelled", "Cancelled"


class EventKind(models.TextChoices):
    CONDITION = "condition", "Declared, on a condition"
    SCHEDULED = "scheduled", "Declared, at a date field"
    EMITTED = "emitted", "Emitted from code"


class EventQuerySet(models.QuerySet):
    def pending(self) -> EventQuerySet:
        return self.filter(status=EventStatus.PENDING)

    def due(self, at: datetime) -> EventQuerySet:
        """Pending events whose time has come, earliest first (uses ``dai_event_due_idx``)."""
        return self.pending().filter(at__lte=at).order_by("at", "id")

    def unplanned(self) -> EventQuerySet:
        """Pending events whose workflow runs have not been created yet."""
        return self.pending().filter(planned=False).order_by("created_at", "id")

    def for_entity(self, instance: models.Model) -> EventQuerySet:
        content_type = ContentType.objects.get_for_model(instance, for_concrete_model=False)
        return self.filter(entity_type=content_type, entity_id=str(instance.pk))


class Event(models.Model):
    """An entity's event: planned (pending), recorded (occurred) or called off (cancelled)."""

    event_name = models.CharField(max_length=200)
    entity_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    entity_id = models.CharField(max_length=64)
    entity = GenericForeignKey("entity_type", "entity_id")
    at = models.DateTimeField(help_text="When the event occurs (or occurred).")
    status = models.CharField(max_length=16, choices=EventStatus.choices,
                              default=EventStatus.PENDING)
    kind = models.CharField(max_length=16, choices=EventKind.choices, default=EventKind.EMITTED)
    # True once the runs of the event workflows listening to it have been created.
    planned = models.BooleanField(default=False)
    note = models.CharField(max_length=200, blank=True, default="",
                            help_text="Why the event was cancelled.")
    occurred_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        app_label = "django_ai_events"
        ordering = ["-at", "-id"]
        constraints = [
            # A declared scheduled event has one pending occurrence at a time: moving the
            # date moves that row.
            models.UniqueConstraint(
                fields=["event_name", "entity_type", "entity_id"], name="dai_event_one_pending",
                condition=models.Q(status="pending", kind="scheduled"),
            ),
            # A condition event is recorded once per entity and name.
            models.UniqueConstraint(
                fields=["event_name", "entity_type", "entity_id"], name="dai_event_once",
                condition=models.Q(kind="condition") & ~models.Q(status="cancelled"),
            ),
        ]
        indexes = [
            models.Index(fields=["at", "id"], name="dai_event_due_idx",
                         condition=models.Q(status="pending")),
            models.Index(fields=["created_at", "id"], name="dai_event_unplanned_idx",
                         condition=models.Q(status="pending", planned=False)),
            models.Index(fields=["entity_type", "entity_id", "event_name"],
                         name="dai_event_entity_idx"),
            models.Index(fields=["event_name", "status"], name="dai_event_name_idx"),
        ]

    def __str__(self) -> str:
        when = f"{self.at:%Y-%m-%d %H:%M}"
        return f"{self.event_name} of {self.entity_label} at {when} ({self.status})"

    @property
    def name(self) -> str:
        """Alias of ``event_name``."""
        return self.event_name

    @property
    def entity_label(self) -> str:
        """``app_label.model`` of the entity, as run bindings store it."""
        content_type = ContentType.objects.get_for_id(self.entity_type_id)
        return f"{content_type.app_label}.{content_type.model}"

    def typed_entity_id(self) -> Any:
        """The entity's primary key as its own type (``int`` for an integer key)."""
        model = ContentType.objects.get_for_id(self.entity_type_id).model_class()
        if model is None:
            return self.entity_id
        return model._meta.pk.to_python(self.entity_id)
