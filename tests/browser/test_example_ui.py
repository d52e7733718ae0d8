"""End to end: the example project's page in headless Chromium.

Starts the example project's server (SQLite in a temporary directory, the in-process backend)
on a free localhost port, then drives Debian's ``/usr/bin/chromium`` through Playwright: log in,
start the expense approval from the run list, fill in the review form that the page builds from
the step's display metadata, submit it and see the completion screen; then the other screens (a
signal wait, a planned start, a retry and a failure). A screenshot of every screen is kept in
``artifacts/`` (git-ignored).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "example_project"
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"The example server exited early:\n{log.read_text()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"The example server did not listen on port {port}:\n{log.read_text()}")


@pytest.fixture
def example_server(tmp_path: Path) -> Iterator[str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'example.sqlite3'}",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("REDIS_URL", None)
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--no-input", "-v", "0"], ["demo_setup"]):
        subprocess.run([*manage, *command], cwd=EXAMPLE, env=env, check=True,
                       capture_output=True, timeout=120)
    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen([*manage, "rundemo", f"127.0.0.1:{port}"], cwd=EXAMPLE,
                                  env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, server, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def browser_page(tmp_path: Path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package to run this test")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright (python) is not installed")
    profile = tmp_path / "chromium-profile"  # a new, empty user-data dir every run
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(15_000)
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def shoot(page, name: str) -> None:
    """Keep a screenshot of the screen shown now, as artifacts/example-ui-NAME.png."""
    page.wait_for_timeout(600)  # let the progress bar's CSS transition finish
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"example-ui-{name}.png"), full_page=True)


def log_in(page, server: str) -> None:
    page.goto(server + "/")
    page.fill("#id_username", "demo")
    page.fill("#id_password", "demo")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Start a workflow")


def start(page, server: str, key: str) -> None:
    page.goto(server + "/")
    page.click(f"button[data-start={key}]")
    page.wait_for_selector("#timeline li")


def test_start_fill_and_complete_an_expense_approval(example_server, browser_page):
    page = browser_page
    page.goto(example_server + "/")
    page.fill("#id_username", "demo")
    page.fill("#id_password", "demo")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Start a workflow")

    page.click("button[data-start=expense]")
    form = page.wait_for_selector("form[data-screen=form]")
    # The form is built from step_display: its groups, their descriptions and the help text.
    assert form.query_selector("legend:text('Decision')") is not None
    assert form.query_selector("legend:text('Notes')") is not None
    assert "High priority claims are paid in the next payroll." in form.inner_text()

    shoot(page, "form")
    page.check("input[name=decision][value=approve]")
    page.check("input[name=priority][value=high]")
    page.fill("textarea[name=reviewer_notes]", "Receipts attached, all good.")
    page.click("form[data-screen=form] button[type=submit]")

    done = page.wait_for_selector("[data-screen=completed]")
    assert "Expense approved" in done.inner_text()
    page.wait_for_selector("#timeline li.completed:has-text('Manager review')")
    page.wait_for_selector("#status.completed")
    shoot(page, "completed")


def test_invalid_form_shows_field_errors(example_server, browser_page):
    page = browser_page
    log_in(page, example_server)
    page.click("button[data-start=expense]")
    page.wait_for_selector("form[data-screen=form]")
    page.click("form[data-screen=form] button[type=submit]")  # nothing chosen, no notes
    error = page.wait_for_selector("[data-field=reviewer_notes] .error:not(:empty)")
    assert "required" in error.inner_text().lower()
    assert page.query_selector("[data-screen=completed]") is None


def test_every_screen_says_what_it_is(example_server, browser_page):
    page = browser_page
    log_in(page, example_server)
    icon = page.get_attribute("link[rel=icon]", "href")
    assert icon.endswith(".svg") and page.request.get(example_server + icon).ok
    assert page.request.get(example_server + "/favicon.ico").ok

    # A signal wait: what for, until when; the timeline uses the declared step titles.
    start(page, example_server, "onboarding")
    wait = page.wait_for_selector("[data-screen=waiting][data-wait=signal]")
    assert "Waiting for the signal “profile_completed” until" in wait.inner_text()
    page.wait_for_selector("#timeline li.completed:has-text('Welcome email sent')")
    current = page.wait_for_selector("#timeline li[data-wait=signal]")
    assert "Wait for the profile" in current.inner_text()
    assert "waiting since" in current.inner_text() and "now" not in current.inner_text()
    shoot(page, "waiting-signal")

    # A planned start: not "now", not "back soon".
    start(page, example_server, "appointment")
    planned = page.wait_for_selector("[data-screen=waiting][data-wait=start]")
    assert "Planned start" in planned.inner_text() and "starts at" in planned.inner_text()
    step = page.wait_for_selector("#timeline li.planned")
    assert "planned · starts at" in step.inner_text() and "now" not in step.inner_text()
    shoot(page, "planned-start")

    # A retry says which attempt failed with what, and when the next try is; then the failure.
    start(page, example_server, "failing-order")
    page.click("[data-screen=waiting] button[data-poke=payment_received]")
    retry = page.wait_for_selector("[data-screen=waiting][data-wait=retry]")
    assert re.search(r"Attempt 1 of 2 failed: ShippingError: Carrier cannot deliver .*; "
                     r"next try at", retry.inner_text())
    assert "attempt 1 of 2 failed · next try at" in page.inner_text("#timeline li.retrying")
    shoot(page, "retry")
    failed = page.wait_for_selector("[data-screen=failed]", timeout=20_000)
    page.wait_for_selector("[data-screen=failed] .pill:has-text('payment refunded')")
    assert "Failed at “Ship”" in failed.inner_text()
    assert "Traceback" not in failed.inner_text()
    shoot(page, "failed")
