"""The running pages as a person and a clinician use them (plain HTTP; browser journey: e2e)."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from popliteal.accounts.models import Patient, User
from popliteal.demo import CHIRO, PATIENT
from popliteal.knowledge.schema import MILE_KM
from popliteal.plans.service import local_today
from popliteal.running.models import Activity
from tests.conftest import csrf_from, login
from tests.running import factories as f
from tests.running.factories import neighbour_patient
from tests.running.fixtures import sample_gpx, sample_tcx


def _patient(db: Session) -> Patient:
    user = db.scalar(select(User).where(User.email == PATIENT.email))
    assert user is not None
    patient = db.scalar(select(Patient).where(Patient.user_id == user.id))
    assert patient is not None
    return patient


def _today(db: Session) -> date:
    """Today in the clinic's time zone, as the pages date runs (ends the read: SQLite locks)."""
    day = local_today(db, _patient(db).clinic_id)
    db.rollback()
    return day


def _runs(db: Session) -> int:
    db.expire_all()
    count = db.scalar(select(func.count()).select_from(Activity)) or 0
    db.rollback()
    return count


def _recent(days_ago: int) -> datetime:
    moment = datetime.now(UTC) - timedelta(days=days_ago)
    return moment.replace(hour=7, minute=0, second=0, microsecond=0)


def test_a_run_entered_by_hand_shows_in_miles_then_in_km(client: Any, db: Session) -> None:
    login(client, PATIENT.email, PATIENT.password)
    token = csrf_from(client, "/my/running")
    day = (_today(db) - timedelta(days=1)).isoformat()
    response = client.post(
        "/my/running/runs",
        data={
            "csrf_token": token,
            "local_date": day,
            "distance": "3.1",
            "unit_shown": "mi",
            "surface": "road_or_concrete",
            "pain_during": "2",
        },
    )
    assert response.status_code == 303, response.text
    stored_km = db.scalar(select(Activity.distance_km))
    db.rollback()
    assert stored_km is not None
    assert abs(stored_km - 3.1 * 1.609344) < 1e-9  # stored in km whatever was typed
    page = client.get("/my/running")
    assert "3.10" in page.text
    assert "miles" in page.text
    client.post("/my/running/unit", data={"csrf_token": token, "unit": "km"})
    assert "4.99" in client.get("/my/running").text  # 3.1 mi = 4.989 km


def test_a_bad_run_form_says_what_is_wrong_and_stores_nothing(client: Any, db: Session) -> None:
    login(client, PATIENT.email, PATIENT.password)
    token = csrf_from(client, "/my/running")
    tomorrow = (_today(db) + timedelta(days=2)).isoformat()
    bad = client.post(
        "/my/running/runs",
        data={"csrf_token": token, "local_date": tomorrow, "distance": "5"},
    )
    assert bad.status_code == 400
    assert "in the future" in bad.text
    worse = client.post(
        "/my/running/runs",
        data={
            "csrf_token": token,
            "local_date": "2026-01-01",
            "distance": "lots",
            "pain_during": "11",
        },
    )
    assert worse.status_code == 400
    assert "Distance:" in worse.text
    assert "Pain during the run" in worse.text
    assert _runs(db) == 0


def test_importing_files_reports_each_one_and_counts_a_file_once(client: Any, db: Session) -> None:
    login(client, PATIENT.email, PATIENT.password)
    token = csrf_from(client, "/my/running")
    gpx = sample_gpx(5.0, start=_recent(3))
    files = [
        ("files", ("monday.gpx", gpx, "application/gpx+xml")),
        ("files", ("wednesday.tcx", sample_tcx(8.0, start=_recent(1)), "application/xml")),
        ("files", ("notes.txt", b"just some words", "text/plain")),
    ]
    page = client.post(
        "/my/running/import", data={"csrf_token": token, "surface": "grass_or_mixed"}, files=files
    )
    assert page.status_code == 200, page.text
    result = re.search(r'id="import-result".*?</section>', page.text, re.S)
    assert result is not None
    text = result.group(0)
    assert "monday.gpx</strong>: imported" in text
    assert "wednesday.tcx</strong>: imported" in text
    assert "notes.txt</strong>: not imported" in text
    assert _runs(db) == 2

    again = client.post(
        "/my/running/import",
        data={"csrf_token": token},
        files=[("files", ("monday-copy.gpx", gpx, "application/gpx+xml"))],
    )
    assert "not counted again" in again.text
    assert _runs(db) == 2


def test_a_heavy_painful_week_is_flagged_for_the_person_and_the_clinician(
    client: Any, db: Session
) -> None:
    patient = _patient(db)
    today = _today(db)
    for back, km in ((1, 10.0), (2, 9.0), (4, 8.0)):  # 27 km in a week: over 15 mi (24.14 km)
        db.add(
            Activity(
                clinic_id=patient.clinic_id,
                patient_id=patient.id,
                local_date=today - timedelta(days=back),
                distance_km=km,
                pain_during=5,
                surface="road_or_concrete",
                created_by=patient.user_id,
            )
        )
    db.commit()
    login(client, PATIENT.email, PATIENT.password)
    mine = client.get("/my/running").text
    assert 'data-flag="weekly_over_limit"' in mine
    assert 'data-flag="pain_during_run_over_3"' in mine
    assert "<svg" in mine
    assert "caution above 15.0 mi a week when building up" in mine
    # The flag names its source in plain words: no journal citation, no file name.
    assert "a chiropractic clinic's web page about knee pain in runners" in html.unescape(mine)
    assert ".txt" not in mine
    assert "seed file" not in mine

    client.post("/logout", data={"csrf_token": csrf_from(client, "/my/running")})
    login(client, CHIRO.email, CHIRO.password)
    listing = client.get("/staff/patients").text
    assert f'id="running-load-{patient.id}"' in listing  # filled in after the page
    cells = client.get("/staff/patients/running-load", params={"ids": str(patient.id)}).text
    assert f'href="/staff/patients/{patient.id}/running"' in cells
    assert "load flag" in cells
    record = client.get(f"/staff/patients/{patient.id}").text
    assert 'data-flag="weekly_over_limit"' in record
    detail = client.get(f"/staff/patients/{patient.id}/running")
    assert detail.status_code == 200
    assert 'data-flag="weekly_over_limit"' in detail.text
    assert "Runner's Knee Pain" in html.unescape(detail.text)  # the clinician: the citation


def test_someone_elses_run_cannot_be_changed_or_seen(client: Any, db: Session, kb: Any) -> None:
    other = neighbour_patient(db, kb)
    patient = db.get(Patient, other.patient_id)
    assert patient is not None
    row = Activity(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        local_date=_today(db),
        distance_km=5.0,
        created_by=patient.user_id,
    )
    db.add(row)
    db.commit()
    row_id, patient_id = row.id, patient.id
    db.rollback()
    login(client, PATIENT.email, PATIENT.password)
    token = csrf_from(client, "/my/running")
    changed = client.post(
        f"/my/running/runs/{row_id}", data={"csrf_token": token, "pain_during": "3"}
    )
    assert changed.status_code == 404
    removed = client.post(f"/my/running/runs/{row_id}/delete", data={"csrf_token": token})
    assert removed.status_code == 404
    assert _runs(db) == 1
    assert client.get(f"/staff/patients/{patient_id}/running").status_code in (303, 403, 404)


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_running_page_speaks_plainly_and_lists_runs_by_date_distance_time_and_pace(
    client: Any, db: Session
) -> None:
    """Issue 18: no statistics words, rounded percentages, runs as date, distance, time, pace."""
    patient = _patient(db)
    today = _today(db)
    # Three easy weeks, then a big one: the load flags, the summary and the chart all have
    # something to say, and one run came from a watch file whose name must not show.
    for back in (27, 24, 20, 17, 13, 10):
        run = f.add_run(db, patient_id=patient.id, day=today - timedelta(days=back), km=5.0)
        run.duration_s = 30 * 60
    big = f.add_run(
        db,
        patient_id=patient.id,
        day=today - timedelta(days=1),
        km=5 * MILE_KM,
        pain_during=2,
        file_name="Morning_Run_2026.fit",
    )
    big.duration_s = 45 * 60 + 30  # 5 miles in 45:30: 9:06 per mile
    f.add_run(db, patient_id=patient.id, day=today, km=12.0, surface="grass_or_mixed")
    db.commit()
    login(client, PATIENT.email, PATIENT.password)
    page = client.get("/my/running")
    assert page.status_code == 200
    text = _visible_text(page.text)
    for jargon in ("EWMA", "rolling", "null", "acute", "chronic", "ratio", "workload"):
        found = re.search(rf".{{0,60}}\b{jargon}\b.{{0,60}}", text, flags=re.I)
        assert found is None, found
    assert not re.search(r"\d+\.\d+%", text), "percentages are rounded"
    assert "Morning_Run_2026" not in text  # runs are named by their date, not their file
    assert re.search(r"data-flag=\"(run_spike_\w+|weekly_increase_over_30)\"", page.text)
    assert re.search(r"about \d+% (longer|more)", text)
    # The run's row: date, distance (miles), time, pace.
    day = today - timedelta(days=1)
    row = f"{day:%a} {day.day} {day:%b} 5.00 45:30 9:06 per mile"
    assert row in text
    # The week table and the chart name each week by its own first and last day.
    start = today - timedelta(days=6)
    this_week = (
        f"{start.day}\u2013{today.day} {today:%b}"
        if start.month == today.month
        else f"{start.day} {start:%b}\u2013{today.day} {today:%b}"
    )
    assert f"<td>{this_week}</td>" in page.text
    assert f'aria-label="{this_week}"' in page.text
    assert "not a limit for everyone" in text  # the 15 miles are context, not a rule


def test_the_last_ten_runs_are_listed_and_older_ones_are_folded(client: Any, db: Session) -> None:
    """A year of runs is not one 24,000-pixel table on a phone: the last 10 show, the older
    ones sit behind "Show N older runs", newest first in both."""
    patient = _patient(db)
    today = _today(db)
    f.add_runs(
        db, patient_id=patient.id, last_day=today, daily_km=[3.0 + i / 10 for i in range(14)]
    )
    db.commit()
    login(client, PATIENT.email, PATIENT.password)
    page = client.get("/my/running").text
    recent, older = page.split("data-older-runs")
    folded = older.split("</details>")[0]
    assert recent.count("/delete") == 10
    assert "Show 4 older runs" in folded
    assert folded.count("/delete") == 4
    removes = re.findall(r'aria-label="Remove the run of ([^"]+)"', page)
    assert len(removes) == 14  # none lost
    assert len(set(removes)) == 14  # each run once


def test_a_file_from_more_than_a_year_ago_says_it_is_kept_but_not_shown(
    client: Any, db: Session
) -> None:
    """A real watch's run from 2013 is saved, and the import says why the list will not show
    it, instead of reporting it imported and then showing it nowhere."""
    login(client, PATIENT.email, PATIENT.password)
    token = csrf_from(client, "/my/running")
    old = (Path(__file__).parent / "data" / "fitdecode-running-2013-02-06.fit").read_bytes()
    page = client.post(
        "/my/running/import",
        data={"csrf_token": token},
        files=[("files", ("old-run.fit", old, "application/octet-stream"))],
    )
    assert page.status_code == 200, page.text
    result = re.search(r'id="import-result".*?</section>', page.text, re.S)
    assert result is not None
    assert "old-run.fit</strong>: imported" in result.group(0)
    assert "more than a year old, so it is saved but not shown" in result.group(0)
    assert _runs(db) == 1
    fresh = client.post(
        "/my/running/import",
        data={"csrf_token": token},
        files=[("files", ("new.gpx", sample_gpx(5.0, start=_recent(3)), "application/gpx+xml"))],
    )
    assert "more than a year old" not in fresh.text
