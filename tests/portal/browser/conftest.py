"""Playwright driving the system Chromium (tests/browser.py): a phone-sized page on the live server per test."""

from pathlib import Path

import pytest

from tests.browser import chromium_browser, screenshot_save

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as chromium:
        yield chromium


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        base_url=live_server.url,
        permissions=["clipboard-read", "clipboard-write"],
    )
    page = context.new_page()
    page.set_default_timeout(30_000)  # a bound, not a pause: a loaded CI machine can take seconds per step
    yield page
    context.close()


def screenshot(page, name: str, viewport: dict | None = None) -> Path:
    if viewport:
        page.set_viewport_size(viewport)
    return screenshot_save(page, f"portal-{name}", full_page=True)
