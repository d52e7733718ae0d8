"""``manage.py workflows`` under an operator's habits: any argument order, guarded broadcasts,
a quiet ticker, absurd ages and hostile labels."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pydantic import BaseModel

from django_ai.automation.workflows import registry
from django_ai.automation.workflows.core import complete, engine, step, wait, workflow
from django_ai.automation.workflows.management.commands import workflows as command
from django_ai.automation.workflows.models import WorkflowRun, WorkflowStatus


def run_command(*args):
    out, err = StringIO(), StringIO()
    call_command("workflows", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("order", [
    ("signal", "review_completed", "--run", "{id}", '{{"reviewer_name": "Jane"}}'),
    ("signal", "review_completed", '{{"reviewer_name": "Jane"}}', "--run", "{id}"),
    ("signal", "--run", "{id}", "review_completed", '{{"reviewer_name": "Jane"}}'),
    ("signal", "review_completed", "--run", "{id}", '{{"reviewer_name": "Jane"}}', "-v", "2"),
])
def test_signal_options_and_positionals_in_any_order(tm, order):
    other = engine.start("sample_review")
    run = engine.start("sample_review")
    out, _ = run_command(*(part.format(id=run.pk) for part in order))
    assert "resumed 1 run(s)" in out
    run.refresh_from_db()
    other.refresh_from_db()
    assert (run.status, run.data["reviewer_name"]) == (WorkflowStatus.COMPLETED, "Jane")
    assert other.status == WorkflowStatus.SUSPENDED


def test_other_subcommands_take_options_anywhere(tm):
    run = engine.start("sample_approvals")
    out, _ = run_command("cancel", "--reason", "duplicate", str(run.pk))
    assert f"Run {run.pk} cancelled." in out
    run.refresh_from_db()
    assert run.error == "duplicate"
    out, _ = run_command("list", "--status", "cancelled", "--limit", "5", "--name",
                         "sample_approvals", "-v", "2")
    assert "1 of 1 matching runs shown." in out


def test_signal_without_a_run_needs_all(tm):
    waiting = [engine.start("sample_review") for _ in range(2)]
    with pytest.raises(CommandError, match="--run --all"):
        run_command("signal", "review_completed", '{"reviewer_name": "Jane"}')
    assert {r.status for r in WorkflowRun.objects.filter(pk__in=[w.pk for w in waiting])} == {
        WorkflowStatus.SUSPENDED}
    out, _ = run_command("signal", "--all", "review_completed")
    assert "every waiting run: resumed 2 run(s)" in out


def test_signal_takes_run_or_all_not_both(tm):
    with pytest.raises(CommandError, match="not allowed with"):
        run_command("signal", "review_completed", "--run", "1", "--all")


def test_retry_refusal_names_the_status(tm):
    run = engine.start("sample_approvals")
    run.cancel()
    with pytest.raises(CommandError, match="cancelled"):
        run_command("retry", str(run.pk))


def _tick_times(monkeypatch, ticks):
    """Run ``tick --every`` for ``ticks`` rounds: the sleep after the last one is a Ctrl+C."""
    calls = []

    def sleep(seconds):
        calls.append(seconds)
        if len(calls) >= ticks:
            raise KeyboardInterrupt

    monkeypatch.setattr(command.time, "sleep", sleep)


def test_ticker_is_quiet_when_nothing_fires(tm, monkeypatch):
    _tick_times(monkeypatch, 3)
    out, _ = run_command("tick", "--every", "5")
    assert out == "Stopped ticking.\n"


def test_ticker_reports_what_fired(tm, monkeypatch):
    run = engine.start("sample_reminders")
    WorkflowRun.objects.filter(pk=run.pk).update(wake_at=tm.now - timedelta(seconds=1))
    _tick_times(monkeypatch, 3)
    out, _ = run_command("tick", "--every", "5")
    assert out == "Tick: 1 timer(s) fired or run(s) recovered.\nStopped ticking.\n"


@pytest.mark.parametrize("verbosity", [["-v", "2"], ["--verbosity=2"]])
def test_ticker_at_verbosity_two_reports_every_tick(tm, monkeypatch, verbosity):
    _tick_times(monkeypatch, 2)
    out, _ = run_command("tick", "--every", "5", *verbosity)
    assert out.count("Tick: 0 timer(s)") == 2


def test_verbosity_before_the_subcommand_still_counts(tm, monkeypatch):
    _tick_times(monkeypatch, 2)
    out = StringIO()
    call_command("workflows", "tick", "--every", "5", verbosity=2, stdout=out)
    assert out.getvalue().count("Tick: 0") == 2


@pytest.mark.parametrize("age", ["999999999w", "99999999999999999999d", "1e999h", "-5d",
                                 "5 parsecs"])
def test_absurd_ages_are_command_errors(db, age):
    with pytest.raises(CommandError, match="--older-than"):
        run_command("list", "--older-than", age)
    with pytest.raises(CommandError, match="--newer-than"):
        run_command("list", "--newer-than", age)


@pytest.fixture
def hostile_labels():
    @workflow("hostile_labels")
    class Hostile:
        class Context(BaseModel):
            pass

        @step(start=True, title='Say "hi" <b>now</b> | #1; `x`\nnext')
        def first(self):
            return wait.for_signal('go"|-->x["pwn"]')

        @step()
        def second(self):
            return complete()

    yield Hostile
    registry.unregister("hostile_labels")


def test_graph_escapes_titles_and_names(hostile_labels):
    out, _ = run_command("graph", "hostile_labels")
    assert 'first["Say #quot;hi#quot; #lt;b#gt;now#lt;/b#gt; #124; #35;1; #96;x#96; next"]' in out
    assert 'first -->|"signal go#quot;#124;--#gt;x[#quot;pwn#quot;]"| second' in out
    for line in out.splitlines()[1:]:
        # Each label is one quoted string: an even number of quotes, no raw markup.
        assert line.count('"') % 2 == 0, line
        assert "<b>" not in line and "\n" not in line
