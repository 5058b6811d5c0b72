"""The demo clinician builds a plan from the draft, changes it, and assigns it (headless Chromium).

With JavaScript on, each editing button swaps only the form (htmx); the keyboard focus stays
on the moved exercise. Every page is checked with axe-core and saved as a screenshot.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from popliteal.demo import ADMIN
from popliteal.plans.models import CarePlanVersion
from tests.e2e.conftest import accessible, also_on_a_phone, screenshot
from tests.e2e.test_keyboard import _tab_through

LEGENDS_JS = (
    "() => [...document.querySelectorAll('#plan-form .rx-row legend')].map(l => l.innerText)"
)


def legends(page: Any) -> list[str]:
    found: list[str] = page.evaluate(LEGENDS_JS)
    return [re.sub(r"^\d+\.\s*", "", text) for text in found]


def test_clinician_builds_changes_and_assigns_a_plan(page: Any, live_server: Any) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(ADMIN.email)
    page.get_by_label("Password").fill(ADMIN.password)
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/schedule**")
    page.goto("/staff/patients")
    page.get_by_role("link", name="Jordan Demo").click()
    page.get_by_role("heading", level=2, name="Care plan").wait_for()
    accessible(page)
    page.get_by_role("link", name="Build plan").click()
    page.get_by_role("heading", level=1, name=re.compile("Build a care plan")).wait_for()
    assert page.get_by_text("the top condition of the newest screening").count() == 1
    accessible(page)
    # No pain score in the demo screening: the builder says so and opens its options.
    assert page.get_by_text("No pain score yet").count() == 1
    assert page.locator("details.plan-options[open]").count() == 1
    _tab_through(page)  # every control of the builder is reachable by keyboard
    first = legends(page)
    assert len(first) >= 4

    # Reorder: the third exercise moves up; the focus stays on its Up button.
    page.get_by_role("button", name=f"Up: move {first[2]} up").click()
    page.get_by_role("status").filter(has_text="up to number 2").wait_for()
    assert legends(page)[:3] == [first[0], first[2], first[1]]
    focused = page.evaluate("() => document.activeElement.getAttribute('aria-label')")
    assert focused == f"Up: move {first[2]} up"

    # Enter in a field only refreshes the form: nothing moves.
    page.get_by_label("Note for the person (optional)").first.fill("Slow and steady.")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_label("Note for the person (optional)").first.press("Enter")
    assert "action=refresh" in (posted.value.request.post_data or "")
    page.wait_for_load_state("networkidle")
    assert legends(page)[:3] == [first[0], first[2], first[1]]

    # Change one dose: the first counted exercise gets 2 sets.
    sets = page.locator("#plan-form input[name$='-sets']")
    counted = next(i for i in range(sets.count()) if sets.nth(i).input_value())
    sets.nth(counted).fill("2")
    changed = legends(page)[counted]

    # Remove the last exercise.
    last = legends(page)[-1]
    page.get_by_role("button", name=f"Remove {last}").click()
    page.get_by_role("status").filter(has_text="Removed").wait_for()
    assert last not in legends(page)
    assert page.locator("#plan-form input[name$='-sets']").nth(counted).input_value() == "2"
    kept = legends(page)
    accessible(page)
    screenshot(page, "plan-builder-desktop")
    also_on_a_phone(page, "plan-builder-phone")

    page.get_by_role("button", name="Save and assign").click()
    page.wait_for_url(re.compile(r"/staff/patients/\d+/plan\?saved=1$"))
    page.get_by_text("Version 1 saved and assigned").wait_for()
    assert page.get_by_role("link", name="Version 1").count() == 1
    accessible(page)
    screenshot(page, "plan-assigned")

    with live_server.app.state.sessionmaker() as db:
        version = db.scalar(select(CarePlanVersion))
        assert version is not None
        assert version.number == 1
        assert [e["name"] for e in version.exercises] == kept
        by_name = {e["name"]: e for e in version.exercises}
        assert by_name[changed]["sets"] == 2
        assert version.exercises[0]["note"] == "Slow and steady."
        db.rollback()


def test_clinician_writes_a_visit_note_with_a_mobilization_grade(
    page: Any, live_server: Any
) -> None:
    from popliteal.accounts.models import Clinic
    from tests.booking.factories import add_appointment
    from tests.running.factories import demo_records

    with live_server.app.state.sessionmaker() as db:
        records = demo_records(db)
        clinic = db.get(Clinic, records.clinic_id)
        assert clinic is not None
        add_appointment(
            db,
            clinic=clinic,
            clinician_id=records.staff_user_id,
            patient_id=records.patient_id,
            type_id=records.type_id,
            days_ahead=-1,
            hour=10,
        )
        db.commit()
    page.goto("/login")
    page.get_by_label("Email").fill(ADMIN.email)
    page.get_by_label("Password").fill(ADMIN.password)
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/schedule**")
    page.goto(f"/staff/patients/{records.patient_id}")
    page.get_by_role("link", name="Visit notes").click()
    page.get_by_role("heading", level=2, name="Visits without a note").wait_for()
    accessible(page)
    page.get_by_role("link", name=re.compile("Write the note")).click()
    page.get_by_role("heading", level=1, name=re.compile("New visit note")).wait_for()
    page.get_by_label("Subjective").fill("Pain 3/10 after runs.")
    page.get_by_role("checkbox", name="Joint mobilization").check()
    page.get_by_label("Grade of joint mobilization").select_option("II")
    accessible(page)
    page.get_by_role("button", name="Save the note").click()
    page.get_by_text("Visit note saved.").wait_for()
    assert page.get_by_text("Joint mobilization, grade II").count() == 1
    accessible(page)
    screenshot(page, "visit-notes")
