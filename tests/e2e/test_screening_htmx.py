"""The screening in a real browser (htmx on): accessible pages, and it reaches a result."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import next_step, screenshot, serious_violations, step_marker


def test_a_visitor_screens_with_htmx_to_an_accessible_result(page: Any) -> None:
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
        progress = step_marker(page)
        none = page.get_by_role("button", name="None of these")
        if none.count():  # a safety checklist: every item answered at once
            none.click()
        else:
            page.get_by_role("button", name="Don't know").click()
        next_step(page, progress)
    page.wait_for_url("**/result")
    assert page.get_by_role("heading", level=1).inner_text() == "Your screening result"
    assert serious_violations(page) == []
    screenshot(page, "screening-result")
