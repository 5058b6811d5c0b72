"""Phone layout (issue 18): a compact header whose links fold behind a Menu button, and a
screening result that puts urgency, causes and what to do first with the reasons one tap away."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from popliteal.demo import ADMIN, PATIENT
from tests.e2e.conftest import accessible, also_on_a_desktop, screenshot
from tests.e2e.test_outcomes import DESKTOP, PHONE, _log_in
from tests.running.factories import demo_records

# The header was 170-270 px of links on a phone before the menu button.
HEADER_MAX_PX = 80


def test_phone_header_folds_its_links_behind_a_menu_button(page: Any) -> None:
    page.set_viewport_size(PHONE)
    _log_in(page, PATIENT.email, PATIENT.password)
    page.wait_for_url("**/my/today")
    header = page.locator(".site-header")
    assert header.bounding_box()["height"] <= HEADER_MAX_PX
    menu = page.get_by_role("button", name="Menu")
    assert menu.get_attribute("aria-expanded") == "false"
    assert not page.get_by_role("link", name="My plan").is_visible()
    screenshot(page, "phone-today-menu-closed")

    menu.focus()
    page.keyboard.press("Enter")  # the keyboard opens it as well as a tap
    assert menu.get_attribute("aria-expanded") == "true"
    page.get_by_role("link", name="My plan").wait_for(state="visible")
    accessible(page)
    screenshot(page, "phone-today-menu-open")
    page.get_by_role("link", name="My plan").click()
    page.wait_for_url("**/my/plan")

    page.set_viewport_size(DESKTOP)  # a wide screen shows the links, no button
    assert page.get_by_role("link", name="My plan").is_visible()
    assert not menu.is_visible()
    screenshot(page, "desktop-header-my-plan")


def test_phone_result_shows_what_matters_first_and_folds_the_reasons(
    page: Any, db: Session
) -> None:
    screening_id = demo_records(db).screening_id
    db.rollback()
    page.set_viewport_size(PHONE)
    _log_in(page, PATIENT.email, PATIENT.password)
    page.wait_for_url("**/my/today")
    page.goto(f"/screening/{screening_id}/result")
    main = page.locator("main")
    main.get_by_role("heading", name="Likely causes").wait_for()
    assert main.get_by_text("decision support, not a diagnosis").first.is_visible()
    more = main.locator("details.cause-more")
    assert more.count() >= 1
    assert not main.get_by_text("Points towards").first.is_visible()  # folded
    folded = page.evaluate("document.documentElement.scrollHeight")
    screenshot(page, "phone-result-folded")
    accessible(page)
    also_on_a_desktop(page, "desktop-result")
    more.first.locator("summary").click()
    assert more.first.get_by_text("You said:").first.is_visible()
    opened = page.evaluate(
        "() => { document.querySelectorAll('details').forEach(d => d.open = true);"
        " return document.documentElement.scrollHeight; }"
    )
    assert folded < opened * 0.75, (folded, opened)


def test_the_schedule_is_a_calendar_grid_on_a_desktop_and_scrolls_on_a_phone(
    page: Any, db: Session
) -> None:
    records = demo_records(db)
    db.rollback()
    _log_in(page, ADMIN.email, ADMIN.password)
    page.wait_for_url("**/staff/schedule**")
    page.get_by_label("Clinician", exact=True).select_option("all")
    page.get_by_label("Show", exact=True).select_option("week")
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_url("**view=week**")
    visit = page.locator(f'[data-appointment="{records.appointment_id}"]')
    if not visit.count():  # the demo visit may fall in next week: move on a week
        page.get_by_role("link", name="Next", exact=True).click()
        page.wait_for_url("**view=week**")
    visit.wait_for()
    assert "Jordan Demo" in visit.inner_text()
    accessible(page)
    screenshot(page, "schedule-week-desktop")
    page.set_viewport_size(PHONE)
    region = page.get_by_role("region", name="Week calendar: time down, days and clinicians across")
    assert region.is_visible()
    screenshot(page, "schedule-week-phone")
    visit.get_by_role("link", name="Start the visit note").click()
    page.wait_for_url(f"**/notes/new?appointment_id={records.appointment_id}")
