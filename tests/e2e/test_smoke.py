"""The home and login pages in a real browser: accessible, keyboard usable."""

from __future__ import annotations

from typing import Any

from popliteal.demo import PATIENT
from tests.e2e.conftest import screenshot, serious_violations


def test_home_page_is_accessible(page: Any) -> None:
    page.goto("/")
    assert page.get_by_role("heading", level=1).inner_text() == "Pain behind the knee?"
    assert serious_violations(page) == []
    screenshot(page, "home")


def test_login_by_keyboard_alone(page: Any) -> None:
    page.goto("/login")
    assert serious_violations(page) == []
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.get_by_label("Email").focus()
    page.keyboard.type(PATIENT.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PATIENT.password)
    page.keyboard.press("Enter")
    page.wait_for_url("**/my/today")


def test_api_docs_render_without_a_cdn(page: Any) -> None:
    page.goto("/docs")
    page.get_by_text("/healthz").first.wait_for()
    assert "popliteal" in page.locator(".title").first.inner_text()
