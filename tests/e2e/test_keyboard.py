"""Every form is usable by keyboard alone: Tab reaches every control, in a visible focus ring.

Radio buttons count per group: Tab enters a group once and the arrow keys move inside it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from popliteal.demo import ADMIN

CONTROLS_JS = """() => {
  const seen = new Set();
  const out = [];
  for (const el of document.querySelectorAll(
      'main a[href], main button, main input:not([type=hidden]), main select, main textarea')) {
    if (el.disabled || el.offsetParent === null) continue;
    const key = el.type === 'radio' ? 'radio:' + el.name : (el.id || el.name || el.outerHTML);
    if (!seen.has(key)) { seen.add(key); out.push(key); }
  }
  return out;
}"""

ACTIVE_JS = """() => {
  const el = document.activeElement;
  if (!el || !document.querySelector('main').contains(el)) return null;
  const style = getComputedStyle(el);
  const ring = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const key = el.type === 'radio' ? 'radio:' + el.name : (el.id || el.name || el.outerHTML);
  return [key, ring];
}"""


def _tab_through(page: Any) -> None:
    wanted = set(page.evaluate(CONTROLS_JS))
    assert wanted, f"no controls on {page.url}"
    reached: set[str] = set()
    no_ring: set[str] = set()
    page.locator("body").focus()
    for _ in range(len(wanted) * 3 + 20):
        page.keyboard.press("Tab")
        active = page.evaluate(ACTIVE_JS)
        if active:
            reached.add(active[0])
            if not active[1]:
                no_ring.add(active[0])
        if wanted <= reached:
            break
    assert wanted - reached == set(), f"not reachable by Tab on {page.url}"
    assert no_ring == set(), f"no visible focus on {page.url}"


@pytest.mark.parametrize("path", ["/", "/login", "/screening", "/conditions"])
def test_public_pages_are_keyboard_usable(page: Any, path: str) -> None:
    page.goto(path)
    _tab_through(page)


def test_screening_step_and_booking_are_keyboard_usable(page: Any) -> None:
    page.goto("/screening")
    page.get_by_role("button", name="Start the screening").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/screening/[0-9a-f]{32}$"))
    _tab_through(page)
    page.goto("/book?type=free_screening&mode=virtual")
    _tab_through(page)


def test_staff_pages_are_keyboard_usable(page: Any) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(ADMIN.email)
    page.get_by_label("Password").fill(ADMIN.password)
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/schedule**")
    _tab_through(page)
    page.goto("/staff/patients")
    page.get_by_role("link", name="Jordan Demo").click()
    page.get_by_role("heading", level=1, name="Jordan Demo").wait_for()
    _tab_through(page)
    page.get_by_role("link", name="Record exam findings").click()
    page.get_by_role("heading", level=1, name=re.compile("Exam findings")).wait_for()
    summaries = page.locator("details.exam-section summary")
    for i in range(summaries.count()):  # each region opens from the keyboard
        summaries.nth(i).focus()
        page.keyboard.press("Enter")
    assert page.locator("details.exam-section:not([open])").count() == 0
    _tab_through(page)
