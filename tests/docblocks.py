"""Read the fenced code blocks of a Markdown document, with the directives that say how to run them.

The convention (also in docs/index.md, "Docs that run"): a block runs unless an HTML comment
directly above it says otherwise.

- ``<!-- docs-test: skip REASON -->``: not run (a reason is required), e.g. a shell command that
  starts a long-running process, or a fragment of a file shown for its shape.
- ``<!-- docs-test: write PATH -->`` / ``<!-- docs-test: append PATH -->``: in the tutorial's
  throw-away project, the block is the content of (or is added at the end of) file ``PATH``.
- ``<!-- docs-test: output COMMAND -->``: the block is what ``COMMAND`` prints.

Python blocks run in order in one namespace per document, ``pycon`` blocks are doctests in that
namespace, and a line ``expression  # 'literal'`` asserts the expression's value.
"""

from __future__ import annotations

import ast
import doctest
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_FENCE = re.compile(r"^```(\S*)\s*$")
_DIRECTIVE = re.compile(r"^<!--\s*docs-test:\s*(\w+)\s*(.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the opening fence, 1-based
    lang: str
    code: str
    directive: str = ""  # "", "skip", "write", "append" or "output"
    argument: str = ""

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line}"


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of ``path`` in order, with the directive written just above each."""
    lines = path.read_text().splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if not match or not match.group(1):
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
        directive, argument = _directive_above(lines, index)
        found.append(Block(path, index + 1, match.group(1), "\n".join(lines[index + 1:end]) + "\n",
                           directive, argument))
        index = end + 1
    return found


def _directive_above(lines: list[str], fence: int) -> tuple[str, str]:
    above = fence - 1
    while above >= 0 and not lines[above].strip():
        above -= 1
    match = _DIRECTIVE.match(lines[above]) if above >= 0 else None
    if match is None:
        return "", ""
    if match.group(1) == "skip" and not match.group(2):
        raise ValueError(f"{lines[above]!r} above line {fence + 1}: a skip needs a reason")
    return match.group(1), match.group(2)


def _asserted_values(code: str) -> dict[int, Any]:
    """Line number -> literal, for lines ending in a comment that is a Python literal."""
    values = {}
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type == tokenize.COMMENT:
            try:
                values[token.start[0]] = ast.literal_eval(token.string[1:].strip())
            except (ValueError, SyntaxError):
                pass
    return values


def run_python(block: Block, namespace: dict[str, Any]) -> None:
    """Run the block; ``expr  # literal`` lines assert the expression's value."""
    tree = ast.parse(block.code, filename=block.where)
    expected = _asserted_values(block.code)
    for node in tree.body:
        if isinstance(node, ast.Expr) and node.end_lineno in expected and not any(
                other.lineno == node.end_lineno and other.col_offset > node.col_offset
                for other in tree.body):
            expression = compile(ast.Expression(node.value), block.where, "eval",
                                 dont_inherit=True)
            value = eval(expression, namespace)
            want = expected[node.end_lineno]
            assert value == want, f"{block.where}+{node.lineno}: got {value!r}, doc: {want!r}"
            continue
        exec(compile(ast.Module([node], []), block.where, "exec", dont_inherit=True), namespace)


def run_pycon(block: Block, namespace: dict[str, Any]) -> None:
    """Run a ``>>>`` session as a doctest against ``namespace``; fail on any difference."""
    test = doctest.DocTestParser().get_doctest(block.code, namespace, block.where,
                                               str(block.path), block.line)
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test, out=out.write, clear_globs=False)
    assert runner.failures == 0, out.getvalue()
