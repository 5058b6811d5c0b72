"""Safety journeys of issue 13 in headless Chromium.

"Not sure" to every safety question is never a green result, and the result names exactly the
warning signs left unknown; an empty checklist is asked again; two people on one browser never
share a screening.
"""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts.models import Patient
from popliteal.knowledge.loader import Knowledge
from popliteal.screening.engine import question_text
from popliteal.screening.models import Screening
from tests.e2e.conftest import (
    accessible,
    emailed_link,
    log_out,
    next_step,
    screenshot,
    step_marker,
)
from tests.e2e.test_journeys import _screen

PERSON_B = {"name": "Sam Ortiz", "email": "sam.ortiz@example.org", "password": "two-people-2026"}


def _start(page: Any) -> None:
    page.goto("/screening")
    page.get_by_role("button", name="Start the screening").click()
    page.wait_for_url(re.compile(r"/screening/[0-9a-f]{32}$"))


def test_not_sure_to_every_safety_question_is_never_green_and_names_each_one(
    page: Any, kb: Knowledge, allowed_errors: list[re.Pattern[str]]
) -> None:
    allowed_errors.append(re.compile(r"status of 400 .*/answer$"))  # the empty checklist
    _start(page)
    empty_tried = rechecked = False
    for _ in range(80):
        if page.url.endswith("/result"):
            break
        before = step_marker(page)
        if page.get_by_label("How old are you, in years?").count():
            page.get_by_label("How old are you, in years?").fill("45")
            page.get_by_label("My right knee").check()
            page.get_by_role("button", name="Next").click()
        elif page.locator("#step [data-checklist-item]").count():
            if not empty_tried:  # Next with nothing chosen: asked again, nothing taken as "no"
                empty_tried = True
                page.get_by_role("button", name="Next").click()
                page.get_by_role("alert").get_by_text("Please answer each question").wait_for()
                accessible(page)
            if page.locator("#step [data-recheck]").count() and not rechecked:
                rechecked = True
                assert "How to check:" in page.locator("#step").inner_text()
                accessible(page)
                screenshot(page, "screening-check-again")
            items = page.locator("#step [data-checklist-item]")
            for i in range(items.count()):
                fid = items.nth(i).get_attribute("data-checklist-item")
                page.locator(f"#{fid}-unsure").check()
            page.get_by_role("button", name="Next").click()
        else:
            page.get_by_role("button", name="Don't know").click()
        next_step(page, before)
    page.wait_for_url("**/result")
    assert empty_tried
    assert rechecked

    banner = page.locator(".banner").first
    assert "conservative" not in (banner.get_attribute("class") or "")  # never green
    text = html.unescape(page.locator("main").inner_text())
    assert "Physical therapy or chiropractic care is a good fit" not in text
    assert "Some warning signs are not ruled out yet" in text
    sid = page.url.split("/")[-2]
    listed = page.request.get(f"/api/screenings/{sid}").json()["safety_not_ruled_out"]
    assert listed
    shown = page.locator("section:has(#unsure-h) li").all_inner_texts()
    assert sorted(shown) == sorted(question_text(kb, f, "patient") for f in listed)
    assert "What the clinic will check first" in text
    accessible(page)
    screenshot(page, "result-all-not-sure")


def test_two_people_on_one_browser_never_share_a_screening(
    page: Any, db: Session, live_server: Any, allowed_errors: list[re.Pattern[str]]
) -> None:
    allowed_errors.append(re.compile(r"status of 404 .*/result$"))  # A's result, hidden from B
    _screen(page)  # person A, anonymous
    page.wait_for_url("**/result")
    a_result = page.url
    sid_a = a_result.split("/")[-2]

    page.goto("/book")  # person B, same browser, not from A's result
    page.get_by_role("radio", name=re.compile("^Free screening")).check()
    page.get_by_role("radio", name="Video call", exact=True).check()
    page.get_by_role("button", name="Show free times").click()
    page.locator("#slots a.button").first.click()
    page.wait_for_url(re.compile(r"/book/confirm\?"))
    box = page.get_by_label(re.compile("Use my screening from"))
    assert box.count() == 1
    assert not box.is_checked()
    page.get_by_label("Your full name").fill(PERSON_B["name"])
    page.get_by_label("Email").fill(PERSON_B["email"])
    page.get_by_label("Phone").fill("555-0199")
    page.get_by_role("button", name="Book this visit").click()
    page.get_by_role("heading", name="Check your e-mail").wait_for()
    page.goto(emailed_link(live_server, to=PERSON_B["email"], path="/book/verify"))
    page.get_by_label("Password (at least 10 characters)").fill(PERSON_B["password"])
    page.get_by_label("The password again").fill(PERSON_B["password"])
    page.get_by_role("button", name="Confirm my visit").click()
    page.get_by_role("heading", name="Your visit is booked").wait_for()

    patient = db.scalar(select(Patient).where(Patient.full_name == PERSON_B["name"]))
    assert patient is not None
    assert db.scalars(select(Screening).where(Screening.patient_id == patient.id)).all() == []
    a = db.get(Screening, sid_a)
    assert a is not None
    assert a.patient_id is None
    db.rollback()

    log_out(page)
    page.goto(a_result)  # the visitor cookie went at booking: A's result is not shown to B
    assert page.get_by_text("Likely causes").count() == 0
    assert "We could not find this screening" in page.locator("main").inner_text()


def test_a_result_from_a_few_answers_names_what_was_never_asked(
    page: Any, live_server: Any, kb: Knowledge
) -> None:
    """A program sends this browser's screening with one answer: the result page is not the
    all-clear, says how many warning signs nobody asked about and lists them behind a fold."""
    page.goto("/")
    created = page.request.post("/api/screenings", data={"answers": {"age_years": 40}})
    assert created.status == 201
    page.goto(f"/screening/{created.json()['id']}/result")
    banner = page.locator("section.banner.not-ruled-out")
    assert banner.is_visible()
    assert page.locator("section.banner.conservative").count() == 0
    assert "We did not ask you 51 safety questions" in banner.inner_text()
    first = question_text(kb, "breathless_or_chest_pain", "patient")
    assert not banner.get_by_text(first).is_visible()  # folded
    banner.locator("summary").click()
    assert banner.get_by_text(first).is_visible()
    accessible(page)
    screenshot(page, "result-not-asked")
