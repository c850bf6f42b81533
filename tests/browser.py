"""Playwright driving the system Chromium (never a downloaded browser), shared by the browser tests' conftests.
Skipped when /usr/bin/chromium (installed by .ci/install-system) or Playwright is missing. Screenshots go to
var/artifacts/."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "var" / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium_browser() -> Iterator:
    """A headless Chromium for a module's tests. Playwright's sync API keeps an event loop in this thread; the
    tests' ORM calls (set-up, checks) are plain synchronous calls between browser steps, so Django's async guard is
    lifted, but only while the browser runs: left set, it would leak into later tests (`check --deploy`)."""
    if not CHROMIUM.exists():
        pytest.skip(f"needs {CHROMIUM} (installed by .ci/install-system)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with pytest.MonkeyPatch.context() as patch, sync_api.sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def screenshot_save(page, name: str, *, full_page: bool) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
