"""The journeys of issue 3 in headless Chromium: what a visitor and a clinician really do.

Every page visited is checked with axe-core (no serious or critical violation), and each result
page is saved as a screenshot under test-artifacts/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import (
    accessible,
    also_on_a_phone,
    emailed_link,
    log_out,
    next_step,
    screenshot,
    step_marker,
)

NEW_PERSON = {
    "name": "Riley Walker",
    "email": "riley.walker@example.org",
    "password": "knee-pain-2026",
}


def _screen(page: Any, *, tick: str | None = None) -> None:
    """Screen as a 34-year-old woman whose pain came on slowly 3 weeks ago and is about the
    same: no danger signs (or `tick` one), else "don't know"."""
    page.goto("/")
    accessible(page)
    page.get_by_role("link", name="Start the free screening").click()
    page.get_by_role("button", name="Start the screening").click()
    page.wait_for_url(re.compile(r"/screening/[0-9a-f]{32}$"))
    accessible(page)
    ticked = False
    for _ in range(60):
        if page.url.endswith("/result"):
            return
        before = step_marker(page)
        age = page.get_by_label("How old are you, in years?")
        if age.count():
            age.fill("34")
            page.get_by_label("I am female").check()
            page.get_by_role("button", name="Next").click()
        elif page.get_by_label("Slowly, over days or weeks").count():
            page.get_by_label("Slowly, over days or weeks").check()
            weeks = page.get_by_label("How many weeks have you had this pain?")
            if weeks.count():
                weeks.fill("3")
            page.get_by_role("button", name="Next").click()
        elif page.get_by_label("I have no bruising").count():  # a warning sign: answered no
            page.get_by_label("I have no bruising").check()
            page.get_by_role("button", name="Next").click()
        elif page.get_by_label("It is about the same").count():
            page.get_by_label("It is about the same").check()
            page.get_by_role("button", name="Next").click()
        elif page.locator("#step [data-checklist-item]").count():
            items = page.locator("#step [data-checklist-item]")
            for i in range(items.count()):
                fid = items.nth(i).get_attribute("data-checklist-item")
                answer = "yes" if fid == tick and not ticked else "no"
                ticked = ticked or answer == "yes"
                page.locator(f"#{fid}-{answer}").check()
            page.get_by_role("button", name="Next").click()
        else:
            page.get_by_role("button", name="Don't know").click()
        next_step(page, before)
    raise AssertionError("the screening did not finish in 60 steps")


@pytest.mark.postgres
def test_visitor_screens_books_a_free_virtual_screening_and_finds_it_after_login(
    page: Any, live_server: Any
) -> None:
    _screen(page)
    page.wait_for_url("**/result")
    banner = page.locator(".banner").first
    assert "conservative" in (banner.get_attribute("class") or "")
    assert page.get_by_text("decision support, not a diagnosis").count() >= 1
    accessible(page)
    screenshot(page, "result-conservative")

    page.get_by_role("link", name=re.compile("Book a free screening")).click()
    page.wait_for_url(re.compile(r"/book\?"))
    page.get_by_role("radio", name=re.compile("^Free screening")).check()
    page.get_by_role("radio", name="Video call", exact=True).check()
    page.get_by_role("button", name="Show free times").click()
    first_slot = page.locator("#slots a.button").first
    first_slot.wait_for()
    accessible(page)
    first_slot.click()
    page.wait_for_url(re.compile(r"/book/confirm\?"))
    accessible(page)
    page.get_by_label("Your full name").fill(NEW_PERSON["name"])
    page.get_by_label("Email").fill(NEW_PERSON["email"])
    page.get_by_label("Phone").fill("555-0142")
    page.get_by_role("button", name="Book this visit").click()
    page.get_by_role("heading", name="Check your e-mail").wait_for()
    assert "Until then we hold the time for you" in page.locator("main").inner_text()
    accessible(page)
    # The e-mailed link confirms the visit and sets the password (booking/holds.py).
    page.goto(emailed_link(live_server, to=NEW_PERSON["email"], path="/book/verify"))
    page.get_by_label("Password (at least 10 characters)").fill(NEW_PERSON["password"])
    page.get_by_label("The password again").fill(NEW_PERSON["password"])
    accessible(page)
    page.get_by_role("button", name="Confirm my visit").click()
    page.get_by_role("heading", name="Your visit is booked").wait_for()
    assert page.get_by_text("Video call").count() >= 1
    accessible(page)
    screenshot(page, "booking-confirmed")
    ics = page.get_by_role("link", name=re.compile(r"\.ics|calendar", re.I)).first
    assert ics.get_attribute("href")

    log_out(page)
    page.goto("/login")
    page.get_by_label("Email").fill(NEW_PERSON["email"])
    page.get_by_label("Password").fill(NEW_PERSON["password"])
    page.get_by_label("Password").press("Enter")
    page.wait_for_url("**/my/today")  # a person lands on Today, which shows the booked visit
    today = page.locator("[data-next-visit]").inner_text()
    assert "free screening" in today
    assert "Video call" in today
    assert page.get_by_role("link", name="Book a visit").count() == 0
    page.get_by_role("link", name="See or change this visit").click()
    page.goto("/my/appointments")
    coming = page.locator("main")
    assert "Free screening" in coming.inner_text()
    assert "Video call" in coming.inner_text()
    accessible(page)
    screenshot(page, "my-appointments")


def test_visitor_with_a_swollen_calf_sees_the_emergency_message_and_no_booking(
    page: Any,
) -> None:
    _screen(page, tick="calf_swelling")
    page.wait_for_url("**/result")
    banner = page.get_by_role("alert").first
    assert "emergency" in (banner.get_attribute("class") or "")
    assert re.search(r"emergency", banner.inner_text(), re.I)
    assert page.locator("a[href*='/book']").count() == 0
    assert page.get_by_role("button", name=re.compile("book", re.I)).count() == 0
    assert page.get_by_role("link", name=re.compile("book", re.I)).count() == 0
    accessible(page)
    screenshot(page, "result-emergency")


def test_clinician_finds_the_patient_adds_exam_findings_and_sees_the_new_differential(
    page: Any,
) -> None:
    from popliteal.demo import ADMIN

    page.goto("/login")
    page.get_by_label("Email").fill(ADMIN.email)
    page.get_by_label("Password").fill(ADMIN.password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/staff/schedule**")
    accessible(page)
    screenshot(page, "staff-schedule")

    page.get_by_role("link", name="Patients", exact=True).click()
    page.get_by_label("Search by name or email").fill("Jordan")
    page.get_by_role("button", name="Search").click()
    accessible(page)
    page.get_by_role("link", name="Jordan Demo").click()
    page.get_by_role("heading", level=1, name="Jordan Demo").wait_for()
    accessible(page)

    page.get_by_role("link", name="Record exam findings").click()
    page.get_by_role("heading", level=1, name=re.compile("Exam findings")).wait_for()
    accessible(page)
    screenshot(page, "exam-form")
    live = page.locator("#exam-live")
    assert "%" in live.inner_text()  # the ranking as the exam stands
    page.locator("#section-ligaments summary").click()  # regions fold until opened
    page.locator("select[name=posterior_drawer]").select_option("grade_2")
    # The live ranking follows the finding before anything is saved (htmx).
    live.get_by_text("Posterior cruciate ligament (PCL) injury").wait_for()
    save = page.get_by_role("button", name="Save findings and re-run the screening")
    save.focus()
    page.keyboard.press("Enter")  # keyboard alone submits the form
    page.get_by_role("heading", level=1, name="What the exam changed").wait_for()
    accessible(page)
    screenshot(page, "exam-changed")
    also_on_a_phone(page, "exam-changed-phone")  # the before/after table fits a phone
    row = page.locator("tr", has_text="Posterior cruciate ligament (PCL) injury").first
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    before, after = (float(re.sub(r"[^\d.]", "", x)) for x in cells[1:3])
    assert after > before
