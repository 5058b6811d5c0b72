"""The guided session shows each exercise's start and end positions, drawn from joint angles
(issue 18), on a phone and a desktop: both pictures load, carry their alt text and sit side by
side; no serious or critical axe-core finding. Screenshots: test-artifacts/figures-*.png."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from popliteal.demo import PATIENT
from popliteal.knowledge.loader import Knowledge
from popliteal.plans.schemas import PrescriptionIn
from tests.e2e.conftest import accessible, screenshot
from tests.running.factories import demo_records
from tests.sessions.factories import save_demo_plan

PLAN = (
    PrescriptionIn(exercise_id="glute_bridge", sets=1, reps=10, rest_s=30, per_week=7),
    PrescriptionIn(exercise_id="hamstring_isometric", sets=1, hold_s=10, rest_s=30, per_week=7),
)
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


def test_the_guided_session_shows_start_and_end_pictures(
    page: Any, live_server: Any, db: Session, kb: Knowledge
) -> None:
    save_demo_plan(db, kb, demo_records(db).patient_id, exercises=PLAN)
    page.goto("/login")
    page.get_by_label("Email").fill(PATIENT.email)
    page.get_by_label("Password").fill(PATIENT.password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/my/today")
    page.get_by_role("group", name="How bad is your knee pain right now?").get_by_label(
        "2", exact=True
    ).check()
    page.get_by_label("At home on my own").check()
    page.get_by_role("button", name="Start guided session").click()
    page.wait_for_url(re.compile(r"/my/session/\d+\?step=1$"))
    name = kb.exercises["glute_bridge"].name
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.reload()
        start = page.get_by_role("img", name=f"Drawing of how to start this exercise: {name}")
        end = page.get_by_role("img", name=f"Drawing of how to end this exercise: {name}")
        for picture in (start, end):
            picture.wait_for()
            picture.scroll_into_view_if_needed()
            page.wait_for_function(
                "(img) => img.complete && img.naturalWidth > 0", arg=picture.element_handle()
            )
        a, b = start.bounding_box(), end.bounding_box()
        assert a is not None
        assert b is not None
        assert a["width"] > 120, size  # big enough to see the position on a phone
        assert abs(a["y"] - b["y"]) < 2, size  # side by side, start on the left
        assert a["x"] < b["x"], size
        assert page.locator("figcaption").all_inner_texts()[:2] == ["Start", "End"]
        accessible(page)
        screenshot(page, f"figures-guided-session-{size}")
    page.goto("/my/plan")
    assert page.locator(".exercise-figures").count() == len(PLAN)
    accessible(page)
    screenshot(page, "figures-my-plan-desktop")
