"""A runner imports watch files on a phone, sees the weekly load chart, adds next-morning pain;
the clinician then finds the load flag in the patient list and the same chart on the patient.

Pages are checked with axe-core and saved as screenshots under test-artifacts/.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from popliteal.demo import CHIRO, PATIENT
from tests.e2e.conftest import accessible, also_on_a_desktop, log_out, nav_to, screenshot
from tests.running.factories import demo_records
from tests.running.fixtures import sample_fit, sample_gpx, sample_tcx

REAL_RIDE = Path(__file__).parents[1] / "running" / "data" / "fitdecode-cycling-2015-10-13.fit"

PHONE = {"width": 390, "height": 844}


def _log_in(page: Any, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def _morning(days_ago: int) -> datetime:
    moment = datetime.now(UTC) - timedelta(days=days_ago)
    return moment.replace(hour=12, minute=0, second=0, microsecond=0)


def test_runner_imports_files_and_the_clinician_sees_the_load_flag(
    page: Any, live_server: Any, db: Session, tmp_path: Path
) -> None:
    patient_id = demo_records(db).patient_id
    db.rollback()
    files = []
    # 28 km in six days, all painful enough to count: over 15 miles a week while symptomatic.
    for name, maker, km, days_ago in (
        ("long.gpx", sample_gpx, 12.0, 5),
        ("tempo.tcx", sample_tcx, 8.0, 3),
        ("easy.fit", sample_fit, 8.0, 1),
    ):
        path = tmp_path / name
        path.write_bytes(maker(km, start=_morning(days_ago)))
        files.append(str(path))
    (tmp_path / "notes.gpx").write_text("<gpx><trk></trk></gpx>")
    files.append(str(tmp_path / "notes.gpx"))
    files.append(str(REAL_RIDE))  # a real bike computer's ride: never running distance

    page.set_viewport_size(PHONE)
    _log_in(page, PATIENT.email, PATIENT.password)
    page.wait_for_url("**/my/today")
    nav_to(page, "Running")
    page.get_by_role("heading", level=1, name="My running").wait_for()
    accessible(page)

    page.get_by_label("Files").set_input_files(files)
    page.get_by_label("Surface of these runs").select_option("road_or_concrete")
    page.get_by_role("button", name="Import").click()
    result = page.locator("#import-result")
    result.wait_for()
    text = result.inner_text()
    assert "long.gpx: imported" in text
    assert "tempo.tcx: imported" in text
    assert "easy.fit: imported" in text
    assert "notes.gpx: not imported" in text
    # from 2015: the date says the year, as it is not this year's
    ride = rf"{REAL_RIDE.name}: imported, [\d.]+ miles on Tue 13 Oct 2015, "
    assert re.search(ride + r"as other exercise \(ride\): not counted as running", text), text
    assert page.locator('[data-flag="weekly_over_limit"]').count() == 1
    assert page.locator("svg.chart rect").count() >= 1
    accessible(page)
    screenshot(page, "running-phone")
    also_on_a_desktop(page, "running-desktop")

    # The easy run's next morning: pain went up; the page flags it once saved.
    # Runs are listed by date, not file name: find the easy run's day in the import summary.
    found = re.search(r"easy\.fit: imported, [\d.]+ \w+ on ([^.,]+)", text)
    assert found is not None, text
    row = page.locator(
        "tr", has=page.get_by_role("button", name=f"Remove the run of {found.group(1)}")
    )
    row.get_by_label("Pain during").fill("2")
    row.get_by_label("Pain next morning").fill("5")
    row.get_by_role("button", name="Save").click()
    page.get_by_text("Your run is updated.").wait_for()
    assert page.locator('[data-flag="worse_next_morning"]').count() == 1

    log_out(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    _log_in(page, CHIRO.email, CHIRO.password)
    page.goto("/staff/patients")
    link = page.locator(f'a[href="/staff/patients/{patient_id}/running"]')
    assert "load flag" in link.inner_text()
    link.click()
    page.get_by_role("heading", level=1).wait_for()
    assert page.locator('[data-flag="weekly_over_limit"]').count() == 1
    assert page.locator("table.running-log tbody tr").count() == 3
    accessible(page)
    screenshot(page, "running-clinician")
