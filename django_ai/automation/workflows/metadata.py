"""Display metadata for action steps: what a frontend needs to render the step's form."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldGroup:
    """A titled group of form fields."""

    display_title: str = ""
    display_description: str = ""
    field_names: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        names = self.field_names
        if isinstance(names, str) or not all(isinstance(name, str) for name in names):
            raise TypeError(f"FieldGroup(field_names=...) takes a list of field names, "
                            f"not {names!r}.")
        object.__setattr__(self, "field_names", list(names))


@dataclass(frozen=True)
class FieldDisplayConfig:
    """How one form field should be shown."""

    field_name: str
    display_component: str | None = None
    filter_queryset: dict[str, Any] | None = None
    display_help_text: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.field_name, str) or not self.field_name:
            raise TypeError(f"FieldDisplayConfig(field_name=...) takes a field name, "
                            f"not {self.field_name!r}.")
        if self.filter_queryset is not None and not isinstance(self.filter_queryset, dict):
            raise TypeError(f"FieldDisplayConfig(filter_queryset=...) takes a dict of lookups, "
                            f"not {self.filter_queryset!r}.")


@dataclass(frozen=True)
class StepDisplayMetadata:
    """Title, description, field groups and per-field display settings of a step."""

    display_title: str = ""
    display_description: str = ""
    field_groups: list[FieldGroup] = field(default_factory=list)
    field_display_configs: list[FieldDisplayConfig] = field(default_factory=list)

    def __post_init__(self) -> None:
        for group in self.field_groups:
            if not isinstance(group, FieldGroup):
                raise TypeError(f"field_groups takes FieldGroup items, not {group!r}.")
        for config in self.field_display_configs:
            if not isinstance(config, FieldDisplayConfig):
                raise TypeError(
                    f"field_display_configs takes FieldDisplayConfig items, not {config!r}."
                )

    def field_names(self) -> Iterable[str]:
        """Every field name the metadata mentions."""
        for group in self.field_groups:
            yield from group.field_names
        for config in self.field_display_configs:
            yield config.field_name

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON, as ``current_step_display["step_display"]`` carries it."""
        return asdict(self)
