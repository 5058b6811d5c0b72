"""The screening in a real browser (htmx on): accessible pages, and it reaches a result."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import browser, page, screenshot, serious_violations  # noqa: F401


def _wait_for_next_step(tab: Any, progress: str) -> None:
    """htmx swaps the step in place (or redirects to the result): wait for either."""
    for _ in range(200):
        if tab.url.endswith("/result"):
            return
        label = tab.locator("label[for=screening-progress]")
        if label.count() == 1 and label.inner_text() != progress:
            return
        tab.wait_for_timeout(50)
    raise AssertionError(f"the step after {progress!r} never came")


def test_a_visitor_screens_with_htmx_to_an_accessible_result(page: Any) -> None:  # noqa: F811
    page.goto("/screening")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Start the screening").click()
    page.wait_for_url("**/screening/*")
    step_url = page.url
    assert serious_violations(page) == []
    screenshot(page, "screening-step")
    page.get_by_label("How old are you, in years?").fill("34")
    page.get_by_label("I am female").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Back").wait_for()  # swapped in by htmx, same URL
    assert page.url == step_url
    for _ in range(40):
        if page.url.endswith("/result"):
            break
        progress = page.locator("label[for=screening-progress]").inner_text()
        page.get_by_role("button", name="Don't know").click()
        _wait_for_next_step(page, progress)
    page.wait_for_url("**/result")
    assert page.get_by_role("heading", level=1).inner_text() == "Your screening result"
    assert serious_violations(page) == []
    screenshot(page, "screening-result")
