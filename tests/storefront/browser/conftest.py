"""Playwright driving the system Chromium (tests/browser.py): a desktop page per test."""

from pathlib import Path

import pytest

from tests.browser import chromium_browser, screenshot_save


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as chromium:
        yield chromium


@pytest.fixture
def page(browser):
    context = browser.new_context(
        viewport={"width": 1200, "height": 900}, permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    return screenshot_save(page, name, full_page=False)
