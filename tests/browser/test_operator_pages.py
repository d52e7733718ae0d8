"""The operator pages in headless Chromium: the graph drawn by the vendored Graphviz, the run
timeline, the dashboard's charts, and staff-only access. Screenshots go to ``artifacts/``.

Runs against pytest-django's live server (in-process, the test database), with runs made by
the time machine, so the pages show a known run.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from django_ai.automation.testing import time_machine
from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowRun
from tests.testapp import observed_workflows

from .test_example_ui import ARTIFACTS, browser_page  # noqa: F401  (the Chromium fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def orm_beside_playwright(monkeypatch):
    # Playwright's sync API keeps an event loop on this thread; the ORM calls the tests make
    # between page actions are ordinary blocking calls, which Django would otherwise refuse.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def known_runs() -> Iterator[dict[str, WorkflowRun]]:
    """ops_order suspended at wait_approval (after a retry, a subflow, a sleep), one failed
    ops_order, and a 30-step run part way. The time machine's clock stays on while the pages
    are read (the live server shares it), 40 minutes after the last of these."""
    observed_workflows.FLAKY.clear()
    with time_machine() as tm:
        order = engine.start("ops_order", order_id=4711)
        tm.advance(timedelta(seconds=31))
        tm.advance(timedelta(hours=1, seconds=1))
        failed = engine.start("ops_order", order_id=4712, validate_failures=5)
        tm.advance(timedelta(minutes=2))
        thirty = engine.start("ops_thirty_steps")
        tm.run_until_idle()
        tm.advance(timedelta(minutes=40))
        # Two sleeping runs for the timer charts: one overdue by 3 minutes, one due in 25.
        for minutes in (-3, 25):
            sleeper = engine.start("sample_reminders")
            WorkflowRun.objects.filter(pk=sleeper.pk).update(
                wake_at=tm.now + timedelta(minutes=minutes))
        for run in (order, failed, thirty):
            run.refresh_from_db()
        assert order.current_step == "wait_approval" and failed.status == "failed"
        yield {"order": order, "failed": failed, "thirty": thirty}


def login(page, base: str, username: str, password: str) -> None:
    page.goto(base + "/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")


@pytest.fixture
def staff_page(live_server, browser_page):  # noqa: F811
    User.objects.create_superuser("ops", "ops@example.com", "ops-password")
    login(browser_page, live_server.url, "ops", "ops-password")
    browser_page.wait_for_selector("#site-name")
    return browser_page


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(Path(ARTIFACTS) / name), full_page=True)


def element_shot(page, selector: str, name: str) -> None:
    """A picture of one element, the size the docs use (docs/img/ holds copies)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(selector).first.screenshot(path=str(Path(ARTIFACTS) / name))


def step_classes(page, selector: str) -> dict[str, str]:
    return page.eval_on_selector_all(
        selector, "nodes => Object.fromEntries(nodes.map(n => [n.id, n.getAttribute('class')]))")


def test_run_page_draws_the_graph_and_the_timeline(live_server, staff_page, known_runs):
    page, run = staff_page, known_runs["order"]
    page.goto(f"{live_server.url}/admin/django_ai_workflows/workflowrun/{run.pk}/change/")
    page.wait_for_selector(".dai-graph[data-rendered='1'] svg")
    classes = step_classes(page, ".dai-graph svg g.node")
    assert "current" in classes["step-wait_approval"]
    for visited in ("step-receive", "step-validate", "step-charge", "step-after_payment"):
        assert "visited" in classes[visited]
    assert "visited" not in classes["step-ship"]
    labels = page.eval_on_selector(".dai-graph svg", "svg => svg.textContent")
    assert "Receive order" in labels and "timeout 2d" in labels
    rows = page.eval_on_selector_all(".dai-timeline g.row", "rows => rows.map(r => r.dataset.step)")
    assert rows == ["receive", "validate", "charge", "after_payment", "wait_approval"]
    validate = page.eval_on_selector_all(
        ".dai-timeline g.row[data-step=validate] rect",
        "bars => bars.map(b => b.getAttribute('class'))")
    assert validate == ["seg seg-attempt seg-error", "seg seg-retry", "seg seg-attempt"]
    assert page.query_selector(".dai-timeline g.row-current rect.seg-signal.seg-open")
    shot(page, "operator-run-page.png")
    element_shot(page, "#dai-timeline", "operating-timeline.png")
    element_shot(page, ".dai-graph svg", "operating-graph.png")


def test_failed_run_marks_the_failing_step(live_server, staff_page, known_runs):
    page, run = staff_page, known_runs["failed"]
    page.goto(f"{live_server.url}/admin/django_ai_workflows/workflowrun/{run.pk}/change/")
    page.wait_for_selector(".dai-graph[data-rendered='1'] svg")
    assert "current" in step_classes(page, ".dai-graph svg g.node")["step-validate"]
    errors = page.eval_on_selector_all(".dai-timeline rect.seg-error", "bars => bars.length")
    assert errors == 3  # three attempts, each raised
    shot(page, "operator-failed-run.png")


def test_thirty_step_graph_is_drawn_whole(live_server, staff_page, known_runs):
    page = staff_page
    page.goto(f"{live_server.url}/admin/django_ai_workflows/workflowgraph/ops_thirty_steps/graph/")
    page.wait_for_selector(".dai-graph[data-rendered='1'] svg")
    ids = page.eval_on_selector_all(".dai-graph svg g.node", "nodes => nodes.map(n => n.id)")
    assert {f"step-s{i:02d}" for i in range(1, 31)} <= set(ids)
    # Readable: the drawing keeps its natural size (text at 11 pt), the box scrolls.
    size = page.eval_on_selector(".dai-graph svg text", "t => t.getBoundingClientRect().height")
    assert size >= 10
    shot(page, "operator-graph-30-steps.png")
    page.goto(f"{live_server.url}/admin/django_ai_workflows/workflowrun/"
              f"{known_runs['thirty'].pk}/change/")
    page.wait_for_selector(".dai-graph[data-rendered='1'] svg")
    shot(page, "operator-run-30-steps.png")


def test_dashboard_charts(live_server, staff_page, known_runs):
    page = staff_page
    page.goto(live_server.url + "/admin/")
    page.click("a:text('Dashboard')")
    page.wait_for_selector("body[data-charts-ready='1']")
    labels = page.evaluate("window.daiCharts['chart-runs'].data.labels")
    assert {"ops_order", "ops_thirty_steps", "ops_payment"} <= set(labels)
    statuses = page.evaluate("window.daiCharts['chart-runs'].data.datasets.map(d => d.label)")
    assert {"suspended", "failed", "completed"} <= set(statuses)
    hours = page.evaluate("window.daiCharts['chart-throughput'].data.datasets[1].data")
    assert sum(hours) >= 1  # the failed run's failed step
    oldest = page.inner_text("#oldest-waiting")
    assert f"#{known_runs['order'].pk}" in oldest
    shot(page, "operator-dashboard.png")
    element_shot(page, ".dai-cards", "operating-dashboard.png")


def test_workflow_list_links_to_graphs(live_server, staff_page, known_runs):
    page = staff_page
    page.goto(live_server.url + "/admin/")
    page.click("a:text('Workflow graphs')")
    page.click("a:text('ops_order')")
    page.wait_for_selector(".dai-graph[data-rendered='1'] svg")
    assert page.query_selector("svg g.node#step-ship")
    shot(page, "operator-workflow-graph.png")


@pytest.mark.parametrize("path", ["/admin/django_ai_workflows/workflowdashboard/",
                                  "/admin/django_ai_workflows/workflowgraph/ops_order/graph/"])
def test_non_staff_are_sent_to_the_login_page(live_server, browser_page, path):  # noqa: F811
    User.objects.create_user("customer", password="customer-password")
    login(browser_page, live_server.url, "customer", "customer-password")
    browser_page.goto(live_server.url + path)
    assert "/admin/login/" in browser_page.url
    assert browser_page.query_selector(".dai-graph, #chart-runs") is None
