"""``workflows check`` and the system checks flag the traps of issue 11 (W050, W051, W052)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import checks
from django.core.management import call_command
from pydantic import BaseModel

from django_ai.automation.workflows import registry
from django_ai.automation.workflows.core import complete, goto, step, wait, wait_for_event, workflow
from django_ai.automation.workflows.management.lint import lint


@pytest.fixture
def traps():
    @workflow("lint_traps")
    class Traps:
        class Context(BaseModel):
            pass

        @step(start=True)
        def ask(self):  # the guide's "Waiting for Signals" order: answer and timeout meet
            return wait.for_signal("user_response", timeout=timedelta(days=7),
                                   on_timeout="send_final_notice")

        @step()
        def send_final_notice(self):
            return goto(self.hold)

        @step()
        def hold(self):
            return wait_for_event("paid", timeout=timedelta(hours=1), on_timeout=self.nowhere)

        @step()
        def after_hold(self):
            return complete()

        @step()
        def orphan(self):
            return complete()

    yield registry.get("lint_traps")
    registry.unregister("lint_traps")


@pytest.fixture
def clean():
    @workflow("lint_clean")
    class Clean:
        class Context(BaseModel):
            pass

        @step(start=True)
        def ask(self):
            return wait.for_signal("answer", timeout=timedelta(days=1), on_timeout=self.expire)

        @step()
        def handle_answer(self):
            return complete()

        @step()
        def expire(self):
            return complete()

    yield registry.get("lint_clean")
    registry.unregister("lint_clean")


def by_id(spec):
    return {(finding.id, finding.step) for finding in lint(spec)}


def test_each_trap_is_found_once(traps):
    assert by_id(traps) == {("django_ai.W050", "ask"), ("django_ai.W051", "hold"),
                            ("django_ai.W052", "orphan")}
    message = str(next(f for f in lint(traps) if f.id == "django_ai.W050"))
    assert "workflow 'lint_traps', step 'ask'" in message and "'send_final_notice'" in message


def test_a_well_ordered_wait_is_clean(clean):
    assert lint(clean) == []


def test_the_guide_samples_and_test_workflows_are_clean():
    noisy = {spec.name: by_id(spec) for spec in registry.all_specs() if lint(spec)}
    assert noisy == {}


def test_decorated_wait_timeout_to_the_next_step_is_fine():
    @workflow("lint_decorated")
    class Decorated:
        class Context(BaseModel):
            pass

        @wait_for_event("paid", timeout=timedelta(hours=1), on_timeout="cancel")
        @step(start=True)
        def wait_for_payment(self):  # the body runs on the event; the timeout goes below
            return complete()

        @step()
        def cancel(self):
            return complete()

    try:
        assert lint(registry.get("lint_decorated")) == []
    finally:
        registry.unregister("lint_decorated")


def test_computed_targets_switch_off_the_reachability_warning():
    @workflow("lint_computed")
    class Computed:
        class Context(BaseModel):
            target: str = "later"

        @step(start=True)
        def first(self):
            from django_ai.automation.workflows.core import get_context
            return goto(get_context().target)

        @step()
        def later(self):
            return complete()

    try:
        assert lint(registry.get("lint_computed")) == []
    finally:
        registry.unregister("lint_computed")


def test_system_check_reports_the_traps(traps):
    from django_ai.automation.workflows.checks import check_workflow_traps

    assert check_workflow_traps in checks.registry.registry.get_checks()
    found = {(message.id, message.level, message.obj) for message in check_workflow_traps()}
    assert found == {("django_ai.W050", checks.WARNING, traps.cls),
                     ("django_ai.W051", checks.WARNING, traps.cls),
                     ("django_ai.W052", checks.WARNING, traps.cls)}


def test_workflows_check_prints_the_traps(db, traps):
    err = StringIO()
    with pytest.raises(Exception, match="1 problem"):  # the missing on_timeout step
        call_command("workflows", "check", "lint_traps", stdout=StringIO(), stderr=err)
    text = err.getvalue()
    assert "warning (django_ai.W050): workflow 'lint_traps', step 'ask'" in text
    assert "warning (django_ai.W052): workflow 'lint_traps', step 'orphan'" in text
    assert "leads to 'nowhere'" in text


def test_workflows_check_passes_with_warnings_only(db, clean):
    out = StringIO()
    call_command("workflows", "check", "lint_clean", stdout=out, stderr=StringIO())
    assert "No problems found" in out.getvalue()
