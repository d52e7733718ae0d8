"""Action steps: finding them by name, and the start-up checks that keep their names unique.

Check IDs: ``django_ai.E030`` (two action steps share a name), ``django_ai.E031`` (display
metadata names a field the serializer lacks, for a decorator order the decorator could not
check itself), ``django_ai.W030`` (a serializer field the step function does not accept),
``django_ai.E032`` (another StateZero action took the name of a workflow action),
``django_ai.E033`` (a method with ``@statezero_action`` but no ``@step``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.core.checks import Error, Warning, register

from . import registry

if TYPE_CHECKING:
    from .specs import StepSpec, WorkflowSpec

RUN_ID_FIELD = "workflow_run_id"


def action_steps() -> list[tuple[WorkflowSpec, StepSpec]]:
    """Every (workflow, step) pair whose step is an action, in registration order."""
    return [(spec, step) for spec in registry.all_specs() for step in spec.steps.values()
            if step.action is not None]


def find_action_step(spec: WorkflowSpec, action_name: str) -> StepSpec | None:
    """The step of ``spec`` that serves action ``action_name``, if any."""
    for step in spec.steps.values():
        if step.action is not None and step.action.name == action_name:
            return step
    return None


def find_action(action_name: str) -> Any:
    """The ActionSpec registered under ``action_name`` (the first one), or None."""
    for _spec, step in action_steps():
        if step.action.name == action_name:
            return step.action
    return None


def _where(spec: WorkflowSpec, step: StepSpec) -> str:
    return f"{spec.name}.{step.name}"


def _duplicate_names() -> list[Error]:
    owners: dict[str, list[str]] = defaultdict(list)
    for spec, step in action_steps():
        owners[step.action.name].append(_where(spec, step))
    return [
        Error(
            f"Action name {name!r} is used by several action steps: {', '.join(places)}.",
            hint="Give each @statezero_action(name=...) a name of its own; the endpoint "
                 "/actions/<name>/ must lead to exactly one step.",
            id="django_ai.E030",
        )
        for name, places in owners.items() if len(places) > 1
    ]


def _field_problems() -> list[Any]:
    from .statezero_action import display_problems, serializer_field_names

    problems: list[Any] = []
    for spec, step in action_steps():
        action = step.action
        unknown = display_problems(step.options.display, action.serializer)
        if unknown:
            problems.append(Error(
                f"Action step {_where(spec, step)}: display metadata names field(s) "
                f"{', '.join(unknown)} that {action.serializer.__name__} does not have.",
                hint="Fix the FieldGroup/FieldDisplayConfig names or add the serializer fields.",
                id="django_ai.E031",
            ))
        ignored = [name for name in serializer_field_names(action.serializer)
                   if name not in (RUN_ID_FIELD, "request") and not step.accepts(name)]
        if ignored:
            problems.append(Warning(
                f"Action step {_where(spec, step)} does not accept serializer field(s) "
                f"{', '.join(ignored)}; submitted values for them are not passed to the step.",
                hint="Add them as keyword parameters of the step (or **kwargs).",
                id="django_ai.W030",
            ))
    return problems


def _statezero_clashes() -> list[Error]:
    from .statezero_integration import taken_by_others

    names = sorted({step.action.name for _spec, step in action_steps()})
    return [
        Error(
            f"StateZero action {name!r} is registered by another function, so "
            f"/statezero/actions/{name}/ does not reach the workflow step of that name.",
            hint="Rename the workflow action or the other StateZero @action.",
            id="django_ai.E032",
        )
        for name in taken_by_others(names)
    ]


def _actions_without_step() -> list[Error]:
    from .declarations import ACTION_MARK, STEP_MARK

    return [
        Error(
            f"Workflow {spec.name!r}: {key!r} has @statezero_action but is not a @step, so "
            "its action can never be reached.",
            hint="Put @step(...) directly below @statezero_action(...).",
            id="django_ai.E033",
        )
        for spec in registry.all_specs() for key, member in vars(spec.cls).items()
        if hasattr(member, ACTION_MARK) and not hasattr(member, STEP_MARK)
    ]


@register()
def check_actions(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    return (_duplicate_names() + _field_problems() + _statezero_clashes()
            + _actions_without_step())
