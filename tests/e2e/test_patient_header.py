"""The patient header on every staff page about one person, in a real browser (issue 18): name,
age, side, main complaint, urgency, open alerts and next visit, at phone and desktop size, with
no serious or critical axe-core finding. Screenshots: test-artifacts/header-*.png."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from popliteal.demo import ADMIN
from popliteal.knowledge.loader import Knowledge
from tests.e2e.conftest import accessible, screenshot
from tests.workspace.header_pages import person_with_a_header, staff_patient_pages

PHONE_PAGES = 4
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


def _log_in(page: Any, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/staff/"))


def test_every_staff_page_of_a_person_shows_who_they_are(
    page: Any, live_server: Any, db: Session, kb: Knowledge
) -> None:
    case = person_with_a_header(db, kb)
    _log_in(page, ADMIN.email, ADMIN.password)
    paths = staff_patient_pages(case)
    assert len(paths) >= 12
    # Every page at desktop size; on a phone the first few (the header's layout is one macro, so
    # a phone check of every page costs time and finds nothing new: tests/workspace checks all).
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        for path in paths if size == "desktop" else paths[:PHONE_PAGES]:
            page.goto(path)
            header = page.locator("section.patient-header")
            assert header.count() == 1, path
            assert header.is_visible(), path
            # it is the first thing of the page's content, above the fold on a phone
            box = header.bounding_box()
            assert box is not None
            assert box["y"] < viewport["height"] / 2, (path, size, box)
            text = " ".join(header.inner_text().split())
            assert case.name in text, (path, text)
            values = {
                key: " ".join(header.locator(f'[data-h="{key}"]').inner_text().split())
                for key in ("age", "side", "complaint", "urgency", "alerts", "next-visit")
            }
            assert values["age"] == "34", (path, values)
            assert values["side"] == "Left knee", (path, values)
            assert values["complaint"] not in ("", "No screening yet"), (path, values)
            assert values["urgency"] == "Emergency", (path, values)
            assert values["alerts"].isdigit(), (path, values)
            assert int(values["alerts"]) >= 1, (path, values)
            assert " with " in values["next-visit"], (path, values)
            accessible(page)
            slug = path.replace(case.exam_id, "result")
            slug = re.sub(rf"/({case.patient_id}|{case.note_id})(?=/|$)", "", slug).strip("/")
            screenshot(page, f"header-{size}-{slug}")
