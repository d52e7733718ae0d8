"""The Context as stored in ``run.data``: checked on the way in, explained on the way out.

Every Context a step leaves behind is validated again from its JSON form before it is saved,
so the next step can always load what this code saved. A load that fails therefore means the
code or the data changed after the save; ``run.context_fingerprint`` (the shape of the Context
class that wrote the data) tells which, so the "changed while in flight" hint is only given when
the class really changed (docs/decisions-engine.md).
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from typing import Any

from pydantic import AliasChoices, AliasPath, BaseModel, ValidationError
from pydantic_core import PydanticSerializationError

from ..errors import ContextError
from .storable import check_storable


@cache
def fingerprint(context_cls: type[BaseModel]) -> str:
    """A short hash of the fields' names, types and constraints (not their defaults)."""
    parts = [f"{name}:{field.annotation!r}:{field.metadata!r}:{field.validation_alias!r}"
             for name, field in context_cls.model_fields.items()]
    parts.append(f"extra={context_cls.model_config.get('extra')!r}")
    # Validator functions show their memory address, which changes with every process.
    text = _ADDRESS.sub("", "|".join(parts))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _input_aliases(field: Any) -> list[str]:
    alias = field.validation_alias if field.validation_alias is not None else field.alias
    choices = alias.choices if isinstance(alias, AliasChoices) else [alias]
    names = []
    for choice in choices:
        if isinstance(choice, AliasPath):
            choice = choice.path[0]
        if isinstance(choice, str):
            names.append(choice)
    return names


@cache
def accepted_keys(context_cls: type[BaseModel]) -> dict[str, str] | None:
    """Input keys the Context accepts, mapped to field names; None when it takes any key."""
    config = context_cls.model_config
    if config.get("extra") == "allow":
        return None
    by_name = bool(config.get("populate_by_name") or config.get("validate_by_name"))
    by_alias = config.get("validate_by_alias", True) is not False
    keys: dict[str, str] = {}
    for name, field in context_cls.model_fields.items():
        aliases = _input_aliases(field)
        if by_name or not aliases:
            keys[name] = name
        if by_alias:
            keys.update(dict.fromkeys(aliases, name))
    return keys


def unknown_keys(context_cls: type[BaseModel], keys: Any) -> list[str]:
    accepted = accepted_keys(context_cls)
    return [] if accepted is None else sorted(str(key) for key in keys if key not in accepted)


def field_names(context_cls: type[BaseModel]) -> str:
    return ", ".join(context_cls.model_fields) or "none"


def _shown(value: Any) -> str:
    try:
        text = repr(value)
    except ValueError:  # an integer too long to write out
        return f"a {type(value).__name__}"
    return text if len(text) <= 80 else text[:77] + "..."


def describe(exc: ValidationError) -> str:
    """``field 'x': problem (got ...); field 'y': ...`` from a pydantic error."""
    return "; ".join(
        f"field {'.'.join(str(part) for part in err['loc']) or '(the whole Context)'!r}: "
        f"{err['msg']} (got {_shown(err.get('input'))})"
        for err in exc.errors()
    )


def _unserializable_field(context: BaseModel) -> str:
    for name in type(context).model_fields:
        try:
            context.model_dump(mode="json", include={name}, warnings=False)
        except PydanticSerializationError:
            return name
    return "?"


def dump_context(context: BaseModel, where: str) -> dict[str, Any]:
    """``context`` as the JSON object to save; ``ContextError`` if it could not be loaded
    back or stored. ``where`` names the workflow and step for the message."""
    try:
        data = context.model_dump(mode="json", warnings=False)
    except PydanticSerializationError as exc:
        raise ContextError(f"{where}: field {_unserializable_field(context)!r} of its Context "
                           f"holds a value that cannot be written as JSON: {exc}")
    try:
        type(context).model_validate(data)
    except ValidationError as exc:
        raise ContextError(f"{where}: its Context is invalid: {describe(exc)}. A mistake in "
                           "the workflow's code, so it is not retried.")
    check_storable(data, where)
    return data


def load_failure(run: Any, spec: Any, exc: ValidationError, where: str) -> str:
    """Why ``run.data`` does not load into the workflow's Context, and what probably changed."""
    name = f"{spec.cls.__name__}.Context"
    saved = run.context_fingerprint
    if not saved:
        why = ("it was saved before this release recorded the Context's shape, so whether "
               f"{name} changed since is unknown")
    elif saved != fingerprint(spec.context_cls):
        why = (f"{name} has changed since this data was saved by an earlier version of the "
               "code (was it changed while runs were in flight?)")
    else:
        why = (f"{name} is unchanged since the data was saved, so run.data was changed outside "
               "the workflow (an admin edit, a data migration or a direct update)")
    return f"{where}: the run's saved Context no longer fits {name}: {why}. {describe(exc)}."
