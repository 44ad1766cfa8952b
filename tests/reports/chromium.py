"""Headless Debian Chromium driven by Playwright, shared by the browser and layout tests.

Skipped when ``/usr/bin/chromium`` is missing, unless ``CREDAUDIT_REQUIRE_BROWSER=1`` (CI), which
turns the skip into a failure. ``Loaded`` records every console error (a CSP violation is one),
every request and every dialog the page tried.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CREDAUDIT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing and CREDAUDIT_REQUIRE_BROWSER=1")
        pytest.skip(f"{CHROMIUM} not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


class Loaded:
    """A report opened in a fresh context, with everything the page tried to do recorded."""

    def __init__(
        self,
        browser: Any,
        path: Path,
        *,
        javascript: bool = True,
        viewport: tuple[int, int] = (1366, 768),
    ) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.url = path.as_uri()
        width, height = viewport
        self.context = browser.new_context(
            java_script_enabled=javascript, viewport={"width": width, "height": height}
        )
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.on("request", lambda req: self.requests.append(req.url))
        self.page.on("dialog", self._dialog)
        self.page.goto(self.url)
        if javascript:
            self.page.wait_for_selector("html[data-ready]", state="attached")

    def _route(self, route: Any) -> None:
        if route.request.url == self.url:
            route.continue_()
        else:
            route.abort()

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(f"{message.type}: {message.text}")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def status(self, grid: str) -> str:
        text: str = self.page.text_content(f"#{grid} .status-line") or ""
        return text

    def visible_rows(self, table: str) -> list[list[str]]:
        rows: list[list[str]] = self.page.eval_on_selector_all(
            f"#{table} tbody tr",
            "rows => rows.filter(r => r.offsetParent !== null)"
            ".map(r => Array.from(r.cells, c => c.innerText))",
        )
        return rows

    def close(self) -> None:
        self.context.close()
