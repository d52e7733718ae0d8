"""Shapes that run but rarely do what was meant, found statically like ``workflows graph``.

- ``W050`` a returned wait whose step written next is also its ``on_timeout`` target: the answer
  and the timeout then lead to the same step, so a real answer looks like a timeout;
- ``W051`` a wait whose ``on_timeout`` names no step of the workflow (the run would fail when
  the timeout fires);
- ``W052`` a step that no step can reach (skipped when a target is computed at run time or a
  step's source cannot be read, since any step might then be reached).

``workflows check`` prints these as warnings and the system check framework reports them with
the IDs above (``manage.py check``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..specs import WorkflowSpec
from .graph import _WAIT_CALLS, COMPUTED, _call_name, _function_body, _keyword, _target, build_graph


@dataclass(frozen=True)
class Finding:
    id: str
    workflow: str
    step: str
    message: str

    def __str__(self) -> str:
        return f"workflow {self.workflow!r}, step {self.step!r}: {self.message}"


def _returned_waits(spec: WorkflowSpec, step: str) -> list[tuple[str, str | None]]:
    """(what is awaited, on_timeout target) for each wait the step's body returns."""
    body = _function_body(getattr(spec.cls, step)) or []
    waits = []
    for node in (node for statement in body for node in ast.walk(statement)):
        if isinstance(node, ast.Call) and _call_name(node) in _WAIT_CALLS:
            timeout = _keyword(node, "on_timeout", 2)
            call = "wait.for_signal" if _call_name(node) == "for_signal" else "wait_for_event"
            waits.append((call, None if timeout is None else _target(timeout)))
    return waits


def _timeout_findings(spec: WorkflowSpec, step: str) -> list[Finding]:
    found = []
    after = spec.step_after(step)
    waits = [(call, timeout, True) for call, timeout in _returned_waits(spec, step)]
    decorated = spec.steps[step].event_wait
    if decorated is not None and decorated.on_timeout:  # resumes at its own body, not below
        waits.append(("@wait_for_event", decorated.on_timeout, False))
    for call, timeout, returned in waits:
        if timeout is None:
            continue
        if timeout not in spec.steps:
            found.append(Finding("django_ai.W051", spec.name, step,
                                 f"{call}(on_timeout={timeout!r}) names no step of this workflow "
                                 f"(its steps: {', '.join(spec.step_order)})."))
        elif returned and timeout == after:
            found.append(Finding(
                "django_ai.W050", spec.name, step,
                f"the returned {call}() resumes at the step written next, {after!r}, which is "
                "also its on_timeout target: an answer and a timeout lead to the same step. "
                "Write the step that handles the answer directly below the waiting step."))
    return found


def _unreachable(spec: WorkflowSpec) -> list[Finding]:
    graph = build_graph(spec)
    if graph.unreadable or any(edge.target == COMPUTED for edge in graph.edges):
        return []
    reached, frontier = {spec.start_step}, [spec.start_step]
    while frontier:
        source = frontier.pop()
        for edge in graph.edges:
            if edge.source == source and edge.target in spec.steps and edge.target not in reached:
                reached.add(edge.target)
                frontier.append(edge.target)
    return [Finding("django_ai.W052", spec.name, step,
                    "no step leads here (no goto, wait, on_timeout or on_complete names it), "
                    "so it never runs.")
            for step in spec.step_order if step not in reached]


def lint(spec: WorkflowSpec) -> list[Finding]:
    """Every trap found in ``spec``, in step order."""
    found = [finding for step in spec.step_order for finding in _timeout_findings(spec, step)]
    return found + _unreachable(spec)
