"""Browser tests: Playwright for Python driving Debian's Chromium (never a downloaded browser).

The fixtures are registered for the whole suite by tests/conftest.py, so that every browser test
shares one Playwright session."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import require_service

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    require_service(
        Path(CHROMIUM).exists() or bool(shutil.which("chromium")),
        f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)",
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any, live_server: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport=PHONE, locale="sv-SE")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url  # type: ignore[attr-defined]
    yield page
    context.close()


def assert_accessible(page: Any) -> None:
    """Run axe-core on the page as it is now; fail with the rules and elements that broke."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = results.response["violations"]
    details = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] if node["target"] else "?" for node in v["nodes"][:5])
        for v in violations
    )
    assert not violations, f"axe-core found violations on {page.url}:\n{details}"


def screenshot(page: Any, name: str, *, full_page: bool = True) -> None:
    """Keep the screenshots in docs/screenshots up to date when asked to (SCREENSHOTS=1)."""
    if os.environ.get("SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def open_menu(page: Any) -> None:
    """Open the main menu where it is collapsed (phones); on wide screens its links are shown."""
    toggle = page.locator("summary.nav-toggle")
    closed = page.locator("details.nav-menu[open]").count() == 0
    if toggle.count() and toggle.is_visible() and closed:
        toggle.click()


def main_nav(page: Any) -> Any:
    """The main navigation, opened first if it is collapsed."""
    open_menu(page)
    return page.get_by_role("navigation", name=re.compile(r"^(Main|Huvudmeny)$"))
