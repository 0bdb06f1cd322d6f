"""End-to-end tests in a real headless chromium (Debian's), driven by Playwright.

Each test gets a live Doum server (pytest-django's live_server, on 127.0.0.1) over a
transactional test database, and a fresh browser context. A page that logs a
Content-Security-Policy violation, a JavaScript error or an unexpected dialog (an XSS
payload that ran) fails the test. Screenshots of the main pages are kept under
test-output/screenshots/ (DOUM_TEST_OUTPUT overrides the folder) for a person to look at.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.personas import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
OUTPUT = Path(
    os.environ.get("DOUM_TEST_OUTPUT", Path(__file__).resolve().parents[2] / "test-output")
)

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# to set up and check data are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(
                    pytest.mark.skip(
                        reason="no /usr/bin/chromium: install Debian's chromium package "
                        "(.ci/run does) to run the browser tests"
                    )
                )


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


class PageProblems:
    """What went wrong in the page while a test drove it."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        # HTTP statuses a test provokes on purpose (e.g. 409 for a stale write): the browser
        # logs them as failed loads, which is not a fault of the page.
        self.expected_statuses: set[int] = set()

    def check(self) -> None:
        assert not self.dialogs, f"unexpected dialogs (a script ran?): {self.dialogs}"
        errors = [e for e in self.errors if not self._expected(e)]
        assert not errors, f"errors in the page: {errors}"

    def _expected(self, error: str) -> bool:
        match = re.search(r"status of (\d{3})", error)
        return match is not None and int(match.group(1)) in self.expected_statuses


@pytest.fixture
def problems() -> PageProblems:
    return PageProblems()


def new_page(browser: Any, problems: PageProblems, *, locale: str = "en-US") -> Any:
    context = browser.new_context(locale=locale, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on(
        "console",
        lambda msg: problems.errors.append(msg.text) if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: problems.errors.append(str(exc)))

    def on_dialog(dialog: Any) -> None:
        if dialog.type == "confirm":  # our own data-confirm questions
            dialog.accept()
            return
        problems.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return page


@pytest.fixture
def page(browser: Any, problems: PageProblems, transactional_db: None) -> Iterator[Any]:
    page = new_page(browser, problems)
    yield page
    page.context.close()
    problems.check()


def shot(page: Any, name: str) -> Path:
    """Keep a full-page screenshot of what the browser shows now."""
    folder = OUTPUT / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Any, base_url: str, email: str, *, path: str = "/login/") -> None:
    """Sign in through a real form: the workspace's (/login/) or the portal's."""
    page.goto(base_url + path)
    form = page.locator("form:has(input[type=password])")
    form.locator("input[name=username], input[name=email]").fill(email)
    form.locator("input[type=password]").fill(PASSWORD)
    form.locator("input[type=password]").press("Enter")
    page.wait_for_load_state("networkidle")
