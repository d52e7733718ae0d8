"""Issue 15 point 3: which Context classes a broadcast signal may validate once per group of
runs with the same saved data (``engine/purity.py``). When unsure, the answer is no."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Literal
from uuid import uuid4

import pytest
from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    computed_field,
    field_serializer,
    field_validator,
    model_validator,
)

from django_ai.automation.workflows.engine.purity import pure


class Colour(enum.Enum):
    RED = "red"


class Inner(BaseModel):
    score: float = 0.0


class Plain(BaseModel):
    note: str = ""
    count: int = 0
    when: dt.datetime | None = None
    tags: list[str] = Field(default_factory=list)
    extra: dict[str, Inner] = {}
    colour: Colour = Colour.RED
    kind: Literal["a", "b"] = "a"
    inner: Inner = Inner()


class Validated(BaseModel):
    note: str = ""

    @field_validator("note")
    @classmethod
    def strip(cls, value: str) -> str:
        return value.strip()


class Checked(BaseModel):
    note: str = ""

    @model_validator(mode="after")
    def check(self):
        return self


class Factory(BaseModel):
    token: str = Field(default_factory=lambda: uuid4().hex)


class PostInit(BaseModel):
    note: str = ""

    def model_post_init(self, context, /) -> None:
        pass


class Computed(BaseModel):
    note: str = ""

    @computed_field
    @property
    def loud(self) -> str:
        return self.note.upper()


class Serialized(BaseModel):
    note: str = ""

    @field_serializer("note")
    def show(self, value: str) -> str:
        return value


class Stripped(BaseModel):
    note: Annotated[str, AfterValidator(str.strip)] = ""


class Nested(BaseModel):
    inner: Validated = Validated()


def test_plain_fields_nested_models_and_empty_factories_are_pure():
    assert pure(Plain) and pure(Inner)


@pytest.mark.parametrize("context_cls", [Validated, Checked, Factory, PostInit, Computed,
                                         Serialized, Stripped, Nested])
def test_anything_that_runs_code_is_not(context_cls):
    assert not pure(context_cls)
