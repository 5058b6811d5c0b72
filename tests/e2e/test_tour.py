"""A tour of the demo clinic as `make run` loads it, with weeks of history (issue 18): a
clinician's day and a patient's week, each page at phone and desktop size, nothing wider than
a phone's window, and what a person would notice about each page checked.
Screenshots: test-artifacts/tour-*-phone.png and tour-*-desktop.png."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal import migrate
from popliteal.accounts.models import Patient
from popliteal.db import make_engine, make_sessionmaker
from popliteal.demo import ADMIN, PATIENT, load_demo
from popliteal.knowledge.loader import Knowledge
from tests.conftest import clinic_noon
from tests.e2e.conftest import (
    DESKTOP_SIZE,
    PHONE_SIZE,
    accessible,
    log_out,
    screenshot,
    wider_than_the_window,
)

# What a person must never read on their own pages: ids, file names, section marks, jargon.
INTERNAL = re.compile(
    r"§|\b[a-z]+_[a-z_]+\b|\.(?:fit|gpx|tcx|yaml|json)\b|\bEWMA\b|\bnull\b|\bMCID\b"
)


@pytest.fixture
def database_url(tmp_path: Path, kb: Knowledge) -> str:
    """The demo clinic with its history (the other tests start from the demo without it)."""
    url = f"sqlite:///{tmp_path / 'tour.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with (
        time_machine.travel(clinic_noon() - timedelta(hours=1), tick=True),
        make_sessionmaker(engine)() as session,
    ):
        load_demo(session, kb)
    engine.dispose()
    return url


def _log_in(page: Any, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


PHONE_ONLY = ("phone",)
SIZES = {"desktop": DESKTOP_SIZE, "phone": PHONE_SIZE}


def at_both_sizes(
    page: Any,
    name: str,
    *,
    axe_at: str | None = None,
    sizes: tuple[str, ...] = ("desktop", "phone"),
) -> None:
    """The page as it is, on a desktop then on a phone: nothing wider than the window, the
    main links out on a desktop and behind Menu on a phone; saved as tour-NAME-desktop.png and
    tour-NAME-phone.png. Ends at desktop size. axe-core runs at `axe_at` only for a page no
    other journey checks (it costs more than the rest together): the header journey checks
    every staff page of a person, test_journeys the schedule, test_running the running page.
    `sizes`: only the phone where another journey already shows the page on a desktop."""
    for size in sizes:
        viewport = SIZES[size]
        page.set_viewport_size(viewport)
        menu = page.get_by_role("button", name="Menu")
        assert menu.is_visible() == (size == "phone"), (page.url, size)
        screenshot(page, f"tour-{name}-{size}")
        assert not wider_than_the_window(page), (page.url, size, wider_than_the_window(page))
        if size == axe_at:
            accessible(page)
    page.set_viewport_size(DESKTOP_SIZE)


def plain_words(page: Any) -> None:
    text = page.locator("main").inner_text()
    assert not INTERNAL.findall(text), (page.url, INTERNAL.findall(text))


def test_a_day_in_the_demo_clinic_and_a_week_at_home(page: Any, db: Session) -> None:
    casey = db.scalar(select(Patient.id).where(Patient.full_name == "Casey Demo"))
    assert casey is not None
    db.rollback()
    page.set_viewport_size(DESKTOP_SIZE)
    _log_in(page, ADMIN.email, ADMIN.password)
    page.wait_for_url("**/staff/schedule**")

    # Schedule: a day grid, time down and the clinicians across.
    page.get_by_label("Clinician", exact=True).select_option("all")
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_url("**clinician=all**")
    grid = page.locator("table.calendar")
    assert grid.get_attribute("data-calendar") == "day"
    across = [" ".join(t.split()) for t in grid.locator("thead th").all_inner_texts()]
    assert len(across) >= 3, across  # the time column and both demo clinicians
    assert grid.locator("tbody th.cal-time").count() >= 8  # a working day of rows
    at_both_sizes(page, "schedule-day")

    # The record of a person near discharge: header, working diagnosis by the ranking.
    page.goto(f"/staff/patients/{casey}")
    header = page.locator("section.patient-header")
    assert "Casey Demo" in header.inner_text()
    options = page.locator("#condition option").all_inner_texts()
    shown = [float(p) for p in re.findall(r"— (\d+)%", "\n".join(options))]
    assert len(shown) >= 3, options
    assert shown == sorted(shown, reverse=True), shown  # highest first, with its percentage
    assert options[1].endswith(f"— {shown[0]:.0f}%"), options  # the top one leads the list
    at_both_sizes(page, "patient-record")

    # The exam form starts with the engine's few next items, then folded body regions.
    page.goto(f"/staff/patients/{casey}/exam")
    first = page.locator("form.staff-exam > fieldset, form.staff-exam > details").first
    assert first.get_attribute("id") == "section-first", first.get_attribute("id")
    assert page.locator("#section-first > legend").inner_text() == "Check these first"
    assert page.locator("details.exam-section:not([open])").count() >= 3
    assert "%" in page.locator("#exam-live").inner_text()
    at_both_sizes(page, "exam-form")

    # The history shows: outcome charts with weeks of points, the plan with its versions.
    page.goto(f"/staff/patients/{casey}/outcomes")
    assert page.locator("main svg").count() >= 1
    at_both_sizes(page, "outcomes-staff", sizes=PHONE_ONLY)  # desktop: test_outcomes
    page.goto(f"/staff/patients/{casey}/plan")
    assert page.get_by_role("link", name=re.compile(r"^Version \d+")).count() >= 1
    at_both_sizes(page, "plan-staff", sizes=PHONE_ONLY)  # desktop: test_patient_header

    log_out(page)
    _log_in(page, PATIENT.email, PATIENT.password)
    page.wait_for_url("**/my/today")  # a patient lands on Today

    # Today: the booked visit is shown, so there is no button to book another.
    main = page.locator("main")
    assert main.get_by_role("heading", name="Your next visit").is_visible()
    assert main.get_by_role("link", name="Book a visit").count() == 0
    plain_words(page)
    at_both_sizes(page, "today", axe_at="phone", sizes=PHONE_ONLY)  # desktop: guided

    # Running: months of runs in plain words, each with date, distance and pace.
    page.goto("/my/running")
    page.get_by_role("heading", level=1, name="My running").wait_for()
    assert page.locator("svg.chart rect").count() >= 4  # weeks of history on the chart
    assert re.search(r"\d:\d\d per (mile|km)\b", page.locator("main").inner_text())  # a pace
    plain_words(page)
    at_both_sizes(page, "running", sizes=PHONE_ONLY)  # desktop: test_running

    # The plan with start and end pictures for each exercise.
    page.goto("/my/plan")
    figures = page.locator(".exercise-figures")
    assert figures.count() >= 2
    assert figures.first.get_by_role("img").count() == 2
    plain_words(page)
    at_both_sizes(page, "my-plan", axe_at="phone", sizes=PHONE_ONLY)  # and figures

    # Progress: questionnaires by their full names.
    page.goto("/my/progress")
    full_name = re.compile("Knee Injury and Osteoarthritis Outcome Score|Lower Extremity Fun", re.I)
    assert page.locator("main").get_by_text(full_name).count() >= 1
    plain_words(page)
    at_both_sizes(page, "progress", axe_at="phone", sizes=PHONE_ONLY)  # and outcomes
