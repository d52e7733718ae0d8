"""A workflow's graph as Graphviz DOT, drawn in the admin by the vendored Graphviz (viz.js).

The transitions are the ones ``workflows graph`` prints (management/graph.py reads them from the
steps' code); this adds what the picture needs: node shapes per step kind (action, event wait),
retry policies, the ``@on_fail`` handler, and for a run the steps it went through, the edges
it took and the step it is at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from ..management.graph import COMPUTED, END, FAILED, Edge, Graph
from ..management.runinfo import short_duration
from ..specs import StepSpec, WorkflowSpec


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


@dataclass
class RunPath:
    """Where a run went: the steps in visit order, the step it is at, and its status."""

    steps: Sequence[str] = ()
    current: str = ""
    status: str = ""
    taken: set[tuple[str, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        visits = [*self.steps, self.current] if self.current else list(self.steps)
        self.taken = set(pairwise(visits))


def _retry_text(step: StepSpec) -> str:
    """A step's own retry policy (the workflow's default is shown once, beside the graph)."""
    policy = step.options.retry
    if policy is None:
        return ""
    return f"retry ×{policy.max_attempts}" if policy.max_attempts > 1 else "no retry"


def _step_node(spec: WorkflowSpec, step: StepSpec, path: RunPath | None) -> str:
    lines = [step.options.title or step.name]
    if step.options.title:
        lines.append(f"({step.name})")
    attrs = {"shape": "box", "style": "rounded,filled", "fillcolor": "#ffffff"}
    if step.action is not None:
        lines.append(f"action {step.action.name}")
        attrs.update(shape="parallelogram", style="filled")
    if step.event_wait is not None:
        wait = step.event_wait
        timeout = f", timeout {short_duration(wait.timeout)}" if wait.timeout else ""
        lines.append(f"waits for event {wait.event_name}{timeout}")
        attrs.update(shape="hexagon", style="filled")
    if retry := _retry_text(step):
        lines.append(retry)
    classes = ["step"]
    if path is not None:
        if step.name in path.steps:
            classes.append("visited")
            attrs["fillcolor"] = "#d6e9f5"
        if step.name == path.current:
            classes.append("current")
            failed = path.status == "failed"
            attrs.update(fillcolor="#f8d7d7" if failed else "#fde9b8", penwidth="3",
                         color="#ba2121" if failed else "#c27c0e")
    attrs.update(label="\n".join(lines), id=f"step-{step.name}", **{"class": " ".join(classes)})
    body = ", ".join(f"{key}={quote(value)}" for key, value in attrs.items())
    return f"  {quote(step.name)} [{body}];"


def _target(edge: Edge) -> str:
    if edge.target == END:
        return "__completed__"
    if edge.target == FAILED:
        return "__failed__"
    if edge.target.startswith("?"):
        return f"__unknown_{edge.source}"
    return edge.target


def _edge_line(edge: Edge, path: RunPath | None) -> str:
    target = _target(edge)
    attrs = {"label": edge.label} if edge.label else {}
    if edge.dotted:
        attrs["style"] = "dashed"
    if edge.label.startswith("subflow"):
        attrs["style"] = "bold"
    if path is not None and (edge.source, edge.target) in path.taken:
        attrs.update(color="#205067", penwidth="2.5", **{"class": "taken"})
    body = ", ".join(f"{key}={quote(value)}" for key, value in attrs.items())
    return f"  {quote(edge.source)} -> {quote(target)}" + (f" [{body}]" if body else "") + ";"


def _terminals(graph: Graph, path: RunPath | None) -> list[str]:
    done = path is not None and path.status == "completed"
    failed = path is not None and path.status == "failed"
    lines = [
        '  "__start__" [label="start", shape=circle, style=filled, fillcolor="#79aec8", '
        'fontcolor="#ffffff", id="node-start"];',
        f'  "__completed__" [label="completed", shape=doublecircle, style=filled, '
        f'fillcolor="{"#9fd89f" if done else "#e6f4e6"}", id="node-completed"];',
        f'  "__failed__" [label="failed", shape=doubleoctagon, style=filled, '
        f'fillcolor="{"#f19c9c" if failed else "#fbe3e3"}", id="node-failed"];',
    ]
    for edge in graph.edges:
        if edge.target == COMPUTED or edge.target.startswith("?"):
            lines.append(f"  {quote(_target(edge))} [label={quote(edge.target[1:])}, "
                         "shape=note];")
    return lines


def to_dot(graph: Graph, path: RunPath | None = None) -> str:
    """The graph as DOT; with ``path``, the run's steps, edges and current step stand out."""
    spec = graph.spec
    lines = [f"digraph {quote(spec.name)} {{",
             '  graph [rankdir=TB, nodesep=0.35, ranksep=0.45, fontname="sans-serif", '
             'bgcolor="transparent"];',
             '  node [fontname="sans-serif", fontsize=11, margin="0.12,0.05"];',
             '  edge [fontname="sans-serif", fontsize=9, color="#666666", '
             'fontcolor="#444444"];']
    lines += _terminals(graph, path)
    lines += [_step_node(spec, spec.steps[name], path) for name in spec.step_order]
    first = path is not None and bool(path.steps or path.current)
    lines.append(f'  "__start__" -> {quote(spec.start_step)}'
                 + (' [color="#205067", penwidth="2.5"]' if first else "") + ";")
    lines += [_edge_line(edge, path) for edge in graph.edges]
    if spec.on_fail:
        lines.append(f'  "__on_fail__" [label={quote("@on_fail " + spec.on_fail)}, '
                     'shape=box, style="rounded,dashed", id="node-on-fail"];')
        lines.append('  "__failed__" -> "__on_fail__" [style=dashed, arrowhead=none, '
                     'label="compensates"];')
    lines.append("}")
    return "\n".join(lines) + "\n"
