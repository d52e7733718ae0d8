"""Every code block of README.md and the how-tos runs, so the docs cannot drift from the code.

Each document's blocks run in order in one namespace, in the test database under
``time_machine``: Python blocks are executed (``expr  # 'literal'`` lines are assertions),
``pycon`` blocks are doctests, ``python manage.py ...`` lines run the command. What a document
leaves abstract (the payment service a step calls, a workflow another page defines) comes from
the stubs below. Blocks that cannot run in a test carry ``<!-- docs-test: skip REASON -->``
(tests/docblocks.py describes the markers); the tutorial has its own test (test_tutorial.py).
"""

from __future__ import annotations

import io
import shlex
import unittest
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import TestCase

from django_ai.automation.workflows import registry
from tests.docblocks import Block, blocks, run_pycon, run_python
from tests.docstubs import stubs_for

ROOT = Path(__file__).resolve().parents[1]
DOCS = ["README.md", "docs/reference.md",
        *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("howto-*.md"))]


def run_shell(block: Block) -> None:
    for line in block.code.replace("\\\n", " ").splitlines():  # join continued lines
        line = line.split("  #")[0].strip()
        if not line or line.startswith("#"):
            continue
        words = shlex.split(line)
        assert words[:2] == ["python", "manage.py"], (
            f"{block.where}: `{line}` cannot run in a test; mark the block "
            "<!-- docs-test: skip REASON -->")
        call_command(*words[2:])


def run_block(block: Block, namespace: dict[str, Any]) -> None:
    if block.lang == "python":
        run_python(block, namespace)
    elif block.lang == "pycon":
        run_pycon(block, namespace)
    elif block.lang in ("bash", "sh", "console"):
        run_shell(block)
    else:
        raise AssertionError(f"{block.where}: no runner for {block.lang!r} blocks; mark it "
                             "<!-- docs-test: skip REASON -->")


@pytest.fixture
def own_registry():
    """Each page runs as its own project: only its workflows (and its stubs') are registered."""
    saved = dict(registry._workflows)
    registry._workflows.clear()
    yield
    registry._workflows.clear()
    registry._workflows.update(saved)


@pytest.fixture
def keep_celery_app():
    """A page that creates a Celery app makes it the current one; hand the tests' back."""
    try:
        from celery import _state
    except ImportError:
        yield
        return
    current = _state.get_current_app()
    yield
    _state._set_current_app(current)


def call_tests(namespace: dict[str, Any], seen: set[str], fixtures: dict[str, Any]) -> None:
    """Run the tests a block defined: ``test_*`` functions as pytest would call them, and
    Django ``TestCase`` classes with unittest."""
    for name, value in list(namespace.items()):
        if name in seen:
            continue
        if isinstance(value, type) and issubclass(value, TestCase) and value is not TestCase:
            seen.add(name)
            # Inside this test's transaction: TestCase.tearDownClass would close the connection
            # (PostgreSQL then loses the wrapping transaction), so closing is a no-op here.
            with mock.patch.object(type(connections["default"]), "close", lambda self: None):
                result = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(
                    unittest.defaultTestLoader.loadTestsFromTestCase(value))
            problems = [text for _, text in result.failures + result.errors]
            assert result.wasSuccessful() and result.testsRun, "\n".join(problems)
        elif name.startswith("test_") and callable(value):
            seen.add(name)
            value(**{param: fixtures[param] for param in value.__code__.co_varnames[
                :value.__code__.co_argcount]})


@pytest.mark.parametrize("doc", DOCS)
def test_every_block_runs(doc, tm, own_registry, keep_celery_app):
    if doc.endswith("howto-celery.md"):
        pytest.importorskip("celery", reason="the page needs the Celery extra, not installed here")
    namespace: dict[str, Any] = {"__name__": f"docs_{Path(doc).stem.replace('-', '_')}",
                                 **stubs_for(doc, tm)}
    seen: set[str] = set()
    for block in blocks(ROOT / doc):
        if block.directive != "skip":
            run_block(block, namespace)
            call_tests(namespace, seen, {"tm": tm, "db": None})


def test_a_skip_needs_a_reason(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("<!-- docs-test: skip -->\n```python\nx = 1\n```\n")
    with pytest.raises(ValueError, match="needs a reason"):
        blocks(page)


def test_literal_comments_are_assertions(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("```python\nx = 2; x * 3   # 6\n```\n```python\nx   # 7\n```\n")
    first, second = blocks(page)
    namespace: dict[str, Any] = {}
    run_python(first, namespace)
    with pytest.raises(AssertionError, match="got 2, doc: 7"):
        run_python(second, namespace)
