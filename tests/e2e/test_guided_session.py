"""A person does a guided session on a phone; their clinician then sees it in the progress API.

Every page of the person's programme visited is checked with axe-core, and the timer screen
and the summary are saved as screenshots under test-artifacts/.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from popliteal.demo import ADMIN, PATIENT
from popliteal.knowledge.loader import Knowledge
from popliteal.plans.schemas import PrescriptionIn
from tests.e2e.conftest import accessible, also_on_a_desktop, log_out, nav_to, screenshot
from tests.e2e.test_keyboard import _tab_through
from tests.running.factories import demo_records
from tests.sessions.factories import save_demo_plan

PHONE = {"width": 390, "height": 844}
# A short plan: a 1-second hold with a 1-second rest, so the timer runs within the test.
SHORT_PLAN = (
    PrescriptionIn(exercise_id="hamstring_isometric", sets=2, hold_s=1, rest_s=1, per_week=7),
    PrescriptionIn(exercise_id="glute_bridge", sets=1, reps=10, rest_s=30, per_week=7),
    PrescriptionIn(exercise_id="prone_hip_extension", sets=2, reps=10, rest_s=30, per_week=7),
)


def _log_in(page: Any, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def _checked(page: Any, box_id: str) -> None:
    from playwright.sync_api import expect

    expect(page.locator(f"#{box_id}")).to_be_checked()


def test_person_does_a_guided_session_on_a_phone_and_the_clinician_sees_it(
    page: Any, live_server: Any, db: Session, kb: Knowledge
) -> None:
    patient_id = demo_records(db).patient_id
    save_demo_plan(db, kb, patient_id, exercises=SHORT_PLAN)
    page.set_viewport_size(PHONE)
    page.clock.install()  # timers run as usual until the timer step pauses them

    _log_in(page, PATIENT.email, PATIENT.password)
    page.wait_for_url("**/my/today")  # a person lands on Today
    page.get_by_role("heading", level=1, name="Today").wait_for()
    accessible(page)
    screenshot(page, "guided-today")
    also_on_a_desktop(page, "guided-today-desktop")
    _tab_through(page)  # every control of Today is reachable by keyboard, with a focus ring
    page.get_by_role("group", name="How bad is the pain in your knee this morning?").get_by_label(
        "2", exact=True
    ).check()
    page.get_by_role("button", name="Save my morning pain").click()
    page.get_by_text("pain score for this morning is saved").wait_for()

    page.get_by_role("group", name="How bad is your knee pain right now?").get_by_label(
        "3", exact=True
    ).check()
    page.get_by_label("At home on my own").check()
    page.get_by_role("button", name="Start guided session").click()
    page.wait_for_url(re.compile(r"/my/session/\d+\?step=1$"))

    # Exercise 1: the timer counts each 1-second hold, ticks the set, then counts the rest.
    # The page's clock is paused and moved by the test, so a busy machine cannot race it.
    main = page.locator("main")
    assert "Exercise 1 of 3" in main.inner_text()
    start = page.get_by_role("button", name="Start hold")
    start.wait_for()
    accessible(page)
    page.clock.pause_at(page.evaluate("Date.now()") + 1_000)
    start.click()
    assert not page.locator("#set-1").is_checked()  # the hold has not run yet
    page.clock.run_for(1_500)
    _checked(page, "set-1")
    assert not page.get_by_text(re.compile("Rest is over")).is_visible()
    page.clock.run_for(1_500)
    page.get_by_text(re.compile("Rest is over")).wait_for()
    assert not page.locator("#set-2").is_checked()
    start.click()
    page.clock.run_for(1_500)
    _checked(page, "set-2")
    page.get_by_text(re.compile("All sets are done")).wait_for()
    page.clock.resume()
    screenshot(page, "guided-session-timer")
    page.get_by_role("button", name="Next", exact=True).click()

    # Exercise 2: sets ticked by hand, and it hurt.
    page.wait_for_url(re.compile(r"step=2$"))
    assert "Exercise 2 of 3" in main.inner_text()
    accessible(page)
    _tab_through(page)
    page.get_by_label("Set 1", exact=True).check()
    page.get_by_label("This hurt").check()
    page.get_by_role("button", name="Next", exact=True).click()

    # Exercise 3, then the finish form.
    page.wait_for_url(re.compile(r"step=3$"))
    page.get_by_label("Set 1", exact=True).check()
    page.get_by_label("Set 2", exact=True).check()
    page.get_by_role("button", name="Next: finish").click()
    page.wait_for_url(re.compile(r"step=4$"))
    page.get_by_role("heading", level=1, name="Finish your session").wait_for()
    accessible(page)
    page.get_by_role("group", name="How bad is your knee pain now?").get_by_label(
        "2", exact=True
    ).check()
    page.get_by_label(re.compile("Anything to tell your clinician")).fill("The bridge pinched.")
    # The "since last time" checklist: a ticked warning sign shows what to do now, first.
    page.get_by_label(re.compile("My knee has locked")).check()
    finish_url = page.url
    page.get_by_role("button", name="Finish session").click()
    page.get_by_role("heading", level=1, name="Your safety answers need care now").wait_for()
    alert = page.get_by_role("alert")
    assert "See a doctor within the next few days" in alert.inner_text()
    assert "Session done" not in main.inner_text()
    page.goto(finish_url.split("?")[0])  # the session was saved: its summary is there

    page.get_by_role("heading", level=1, name="Session done").wait_for()
    summary = main.inner_text()
    assert "5 of 5 sets done" in summary
    assert "You said these hurt: Hip lift (bridge)" in summary
    accessible(page)
    screenshot(page, "guided-session-done")

    page.get_by_role("link", name="See my progress").click()
    page.get_by_role("heading", level=1, name="My progress").wait_for()
    assert page.locator("svg.chart").count() == 1
    accessible(page)
    screenshot(page, "guided-progress")
    nav_to(page, "My plan")
    page.get_by_role("heading", level=1, name="My plan").wait_for()
    accessible(page)
    screenshot(page, "guided-my-plan")

    # The clinician sees the same session in the patient's progress.
    log_out(page)
    _log_in(page, ADMIN.email, ADMIN.password)
    page.wait_for_url("**/staff/**")
    response = page.request.get(f"{live_server.url}/api/patients/{patient_id}/progress")
    assert response.status == 200
    sessions = response.json()["sessions"]
    assert len(sessions) == 1
    logged = sessions[0]
    assert (logged["status"], logged["mode"], logged["pain_before"], logged["pain_after"]) == (
        "done",
        "home",
        3,
        2,
    )
    assert logged["note"] == "The bridge pinched."
    assert [
        (e["id"], e["sets_done"], e["sets_prescribed"], e["hurt"]) for e in logged["entries"]
    ] == [
        ("hamstring_isometric", 2, 2, False),
        ("glute_bridge", 1, 1, True),
        ("prone_hip_extension", 2, 2, False),
    ]
    assert response.json()["hurt_flags"][0]["exercise"] == "glute_bridge"
