"""Read a workflow's transitions from its source code, for ``workflows graph`` and ``check``.

A transition is what a step *can* return, so it is found statically: each step's body is parsed
with :mod:`ast` and the calls to ``goto``, ``complete``, ``fail``, ``sleep``, ``wait.for_signal``,
``wait_for_event`` and ``run_subflow`` are read, with their targets given as ``self.step`` or
``"step"``. Targets computed at run time (a variable) cannot be seen and are reported as such.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass
from datetime import timedelta

from ..specs import WorkflowSpec
from .runinfo import short_duration

END, FAILED, COMPUTED = "__completed__", "__failed__", "?computed"
_WAIT_CALLS = {"for_signal": "signal", "wait_for_event": "event"}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str  # a step name, END or FAILED
    label: str = ""
    dotted: bool = False  # timeouts and other paths off the happy path


@dataclass
class Graph:
    spec: WorkflowSpec
    edges: list[Edge]
    unreadable: list[str]  # steps whose source could not be read

    def bad_targets(self) -> list[Edge]:
        """Edges that name a step the workflow does not have (computed targets aside)."""
        known = {*self.spec.steps, END, FAILED, COMPUTED}
        return [edge for edge in self.edges if edge.target not in known]


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _target(node: ast.AST | None) -> str | None:
    """``self.x`` or ``"x"`` (or ``Workflow.x``) as a step name; None when computed."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        # self.x or Workflow.x; an attribute of anything else (ctx.next_step) is data.
        owner = node.value.id
        return node.attr if owner == "self" or owner[:1].isupper() else None
    return None


def _keyword(node: ast.Call, name: str, position: int | None = None) -> ast.AST | None:
    for keyword in node.keywords:
        if keyword.arg == name:
            return keyword.value
    if position is not None and len(node.args) > position:
        return node.args[position]
    return None


def _literal(node: ast.AST | None) -> str:
    if isinstance(node, ast.Constant):
        return str(node.value)
    if isinstance(node, ast.Name):
        return node.id
    return "…"


def _duration_text(node: ast.AST) -> str:
    """``timedelta(days=7)`` written with constants as ``7d``; anything else as written."""
    if (isinstance(node, ast.Call) and _call_name(node) == "timedelta" and not node.args
            and all(isinstance(k.value, ast.Constant) for k in node.keywords)):
        try:
            return short_duration(timedelta(**{k.arg: k.value.value for k in node.keywords}))
        except (TypeError, ValueError):
            pass
    return ast.unparse(node)


def _function_body(func: object) -> list[ast.stmt] | None:
    try:
        source = textwrap.dedent(inspect.getsource(func))  # type: ignore[arg-type]
    except (OSError, TypeError):
        return None
    tree = ast.parse(source)
    definition = next((node for node in tree.body
                       if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)), None)
    # Only the body: the decorators above the step are read from the spec instead.
    return definition.body if definition is not None else None


def _edges_from_call(spec: WorkflowSpec, step: str, call: ast.Call) -> list[Edge]:
    name = _call_name(call)
    if name == "goto":
        return [Edge(step, _target(_keyword(call, "step", 0)) or COMPUTED)]
    if name == "complete":
        return [Edge(step, END)]
    if name == "fail":
        return [Edge(step, FAILED, "fail", dotted=True)]
    if name == "sleep":
        return [Edge(step, step, "sleep")]
    if name == "run_subflow":
        child = _literal(_keyword(call, "workflow", 0))
        target = _target(_keyword(call, "on_complete", 1)) or COMPUTED
        return [Edge(step, target, f"subflow {child}")]
    if name in _WAIT_CALLS:
        kind = _WAIT_CALLS[name]
        awaited = _keyword(call, "name" if kind == "signal" else "event_name", 0)
        label = f"{kind} {_literal(awaited)}"
        edges = [Edge(step, spec.step_after(step) or "?no step after", label)]
        timeout = _keyword(call, "on_timeout", 2)
        if timeout is not None:
            after = _keyword(call, "timeout", 1)
            label = f"timeout {_duration_text(after)}" if after is not None else "timeout"
            edges.append(Edge(step, _target(timeout) or COMPUTED, label, dotted=True))
        return edges
    return []


def _decorator_edges(spec: WorkflowSpec, step: str) -> list[Edge]:
    wait = spec.steps[step].event_wait
    if wait is None or not wait.on_timeout:
        return []
    label = "timeout"
    if isinstance(wait.timeout, timedelta):
        label = f"timeout {short_duration(wait.timeout)}"
    return [Edge(step, wait.on_timeout, label, dotted=True)]


def build_graph(spec: WorkflowSpec) -> Graph:
    edges: list[Edge] = []
    unreadable: list[str] = []
    for step in spec.step_order:
        edges.extend(_decorator_edges(spec, step))
        body = _function_body(getattr(spec.cls, step))
        if body is None:
            unreadable.append(step)
            continue
        for statement in body:
            for node in ast.walk(statement):
                if isinstance(node, ast.Call):
                    edges.extend(_edges_from_call(spec, step, node))
    return Graph(spec, list(dict.fromkeys(edges)), unreadable)


# Mermaid's entity codes for what would end a quoted label or be read as markup. "#" goes
# first, since the codes themselves start with it.
_ESCAPES = [("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("|", "#124;"),
            ("`", "#96;"), ("\n", " "), ("\r", " ")]


def escape_label(text: str) -> str:
    """``text`` safe inside a quoted Mermaid label: shown as written, never parsed."""
    for raw, code in _ESCAPES:
        text = text.replace(raw, code)
    return text


def _node(spec: WorkflowSpec, step: str) -> str:
    options = spec.steps[step]
    label = escape_label(options.options.title or step)
    if options.action is not None:
        action = escape_label(options.action.name)
        return f'{step}[/"{label}<br/><i>action {action}</i>"/]'
    if options.event_wait is not None:
        event = escape_label(options.event_wait.event_name)
        return f'{step}{{{{"{label}<br/><i>waits for {event}</i>"}}}}'
    return f'{step}["{label}"]'


def _edge_line(edge: Edge) -> str:
    target = {END: "completed", FAILED: "failed"}.get(edge.target, edge.target)
    if target.startswith("?"):
        target = f'unknown_{edge.source}["{escape_label(target[1:])}"]'
    arrow = "-.->" if edge.dotted else "-->"
    label = f'|"{escape_label(edge.label)}"|' if edge.label else ""
    return f"    {edge.source} {arrow}{label} {target}"


def to_mermaid(graph: Graph) -> str:
    """The graph as a Mermaid flowchart (paste it into any Markdown that renders Mermaid)."""
    spec = graph.spec
    lines = ["flowchart TD", "    start((start))", "    completed((completed))",
             "    failed(((failed)))"]
    lines += [f"    {_node(spec, step)}" for step in spec.step_order]
    lines.append(f"    start --> {spec.start_step}")
    lines += [_edge_line(edge) for edge in graph.edges]
    if spec.on_fail:
        lines.append(f'    failed -.-|"@on_fail"| {spec.on_fail}(["{spec.on_fail}"])')
    return "\n".join(lines) + "\n"
