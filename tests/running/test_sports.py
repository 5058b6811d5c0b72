"""Rides are not runs (issue 18): real device files from the fitdecode and gpxpy projects
(tests/running/data/README.md) are read with their sport, and only running counts."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from popliteal.demo import PATIENT
from popliteal.knowledge.loader import Knowledge
from popliteal.running import service as running_service
from popliteal.running.importers import ImportProblem, parse_activities
from popliteal.running.sports import counts_as_running, fit_sport, text_sport
from tests.conftest import csrf_from, login
from tests.running import factories as f
from tests.running.fixtures import sample_gpx

DATA = Path(__file__).parent / "data"
RUN = "fitdecode-running-2013-02-06.fit"
RIDE = "fitdecode-cycling-2015-10-13.fit"
WALK = "fitdecode-garmin-fenix-5-walk.fit"
MULTISPORT = "fitdecode-fenix2-multisport-thinned.fit"
CAR = "gpxpy-around-visnjan-with-car.gpx"
TYPED_RUN = "gpxpy-track-with-type-run.gpx"
LATER = datetime(2026, 1, 1, tzinfo=UTC)  # after every file: none is in the future


def real(name: str) -> tuple[str, bytes]:
    return name, (DATA / name).read_bytes()


def km(activity: Any) -> float:
    return round(activity.distance_m / 1000, 2)


def test_the_sport_names_of_fit_tcx_and_gpx_files() -> None:
    assert fit_sport("cycling", "commuting") == "cycling"
    assert fit_sport("fitness_equipment", "indoor_rowing") == "rowing"
    assert fit_sport("running", "treadmill") == "running"
    assert fit_sport("generic", None) is None  # the file does not say
    assert fit_sport("tennis", None) == "other"
    assert [text_sport(w) for w in ("Running", "Biking", "Other", "Ride", "run", "jkljkl")] == [
        "running",
        "cycling",
        None,
        "cycling",
        "running",
        None,
    ]
    assert counts_as_running("running", walk_run_programme=False)
    assert not counts_as_running("walking", walk_run_programme=False)
    assert counts_as_running("walking", walk_run_programme=True)
    assert not counts_as_running("cycling", walk_run_programme=True)


def test_real_files_are_read_with_the_sport_their_session_names() -> None:
    (ride,) = parse_activities(*real(RIDE), now=LATER)
    assert (ride.sport, km(ride)) == ("cycling", 11.54)  # session sport: cycling
    (run,) = parse_activities(*real(RUN), now=LATER, sport="cycling")
    assert (run.sport, km(run)) == ("running", 4.84)  # the file's word beats the choice
    (walk,) = parse_activities(*real(WALK), now=LATER)
    assert walk.sport == "walking"


def test_a_multisport_file_is_split_by_session_and_transitions_left_out() -> None:
    parts = parse_activities(*real(MULTISPORT), now=LATER, sport="cycling")
    # The first session says only "generic": the person's choice (here a ride) applies.
    assert [(p.sport, km(p)) for p in parts] == [
        ("cycling", 25.07),
        ("running", 2.25),
        ("running", 12.74),
        ("cycling", 28.93),
    ]
    assert len({p.content_hash for p in parts}) == 4
    # the file's own hash on the first part: the file is known when sent again
    assert parts[0].content_hash == hashlib.sha256(real(MULTISPORT)[1]).hexdigest()


def test_a_gpx_type_is_read_and_the_persons_choice_fills_in_when_there_is_none() -> None:
    (typed,) = parse_activities(*real(TYPED_RUN), now=LATER, sport="cycling")
    assert typed.sport == "running"
    # 2.7 km in 9 minutes (a car, says its name): too fast for a run, a believable ride.
    with pytest.raises(ImportProblem, match="faster than anyone can run"):
        parse_activities(*real(CAR), now=LATER)
    (ride,) = parse_activities(*real(CAR), now=LATER, sport="cycling")
    assert (ride.sport, km(ride)) == ("cycling", 2.68)


def test_a_ride_counts_nothing_toward_running_and_shows_as_cross_training(
    db: Session, kb: Knowledge
) -> None:
    actor = f.actor_for(db, PATIENT.email)
    pid = f.demo_patient(db).id
    db.rollback()
    when = datetime(2015, 10, 20, 17, 0, tzinfo=UTC)
    result = running_service.import_files(
        db, actor=actor, patient_id=pid, files=[real(RIDE), real(MULTISPORT)], now=when
    )
    assert not result.rejected
    assert [(a.sport, round(a.distance_km, 2)) for a in result.imported] == [
        ("cycling", 11.54),
        ("running", 25.07),  # "generic": the default choice, running
        ("running", 2.25),
        ("running", 12.74),
        ("cycling", 28.93),
    ]
    view = running_service.running_view(db, kb=kb, actor=actor, patient_id=pid, now=when)
    assert sorted(round(a.distance_km, 2) for a in view.activities) == [2.25, 12.74, 25.07]
    assert [(a.sport, round(a.distance_km, 2)) for a in view.cross_training] == [
        ("cycling", 11.54),
        ("cycling", 28.93),
    ]
    # The ride's week (12-18 October) adds nothing to the running load.
    assert view.report.weekly_totals[-1] == 0
    mi = sum(view.report.weekly_totals)
    assert mi == pytest.approx((25.07 + 2.25 + 12.74) / 1.609344, abs=0.02)
    # The same file again is known, part by part.
    again = running_service.import_files(
        db, actor=actor, patient_id=pid, files=[real(MULTISPORT)], now=when
    )
    assert again.imported == []
    assert len(again.duplicates) == 4


def test_a_walk_counts_only_inside_the_walk_run_programme(db: Session, kb: Knowledge) -> None:
    actor = f.actor_for(db, PATIENT.email)
    pid = f.demo_patient(db).id
    db.rollback()
    when = datetime(2017, 6, 12, 17, 0, tzinfo=UTC)
    running_service.import_files(db, actor=actor, patient_id=pid, files=[real(WALK)], now=when)
    view = running_service.running_view(db, kb=kb, actor=actor, patient_id=pid, now=when)
    assert (view.activities, [a.sport for a in view.cross_training]) == ([], ["walking"])
    f.add_walk_run_plan(db, kb, patient_id=pid)
    db.commit()
    view = running_service.running_view(db, kb=kb, actor=actor, patient_id=pid, now=when)
    assert ([a.sport for a in view.activities], view.cross_training) == (["walking"], [])


def test_the_person_chooses_the_sport_of_a_file_that_does_not_say(client: Any) -> None:
    login(client, PATIENT.email, PATIENT.password)
    token = csrf_from(client, "/my/running")
    yesterday = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(
        days=1
    )
    # A generated GPX without <type>, 30 km in an hour: a ride, as the person says.
    ride = sample_gpx(30.0, start=yesterday, pace_s_per_km=120)
    page = client.post(
        "/my/running/import",
        data={"csrf_token": token, "sport": "cycling"},
        files=[("files", ("morning.gpx", ride, "application/gpx+xml"))],
    )
    assert page.status_code == 200, page.text
    assert "as other exercise (ride): not counted as running" in page.text
    view = client.get("/my/running").text
    other = view[view.index("Other exercise</h2>") :]
    assert "Ride" in other
    assert "60 min" in other
    assert "No runs yet" in view
    # Without a choice the same kind of file is a run, and too fast for one.
    too_fast = sample_gpx(30.0, start=yesterday - timedelta(days=1), pace_s_per_km=120)
    refused = client.post(
        "/api/me/activities/import",
        headers={"x-csrf-token": client.get("/api/auth/csrf").json()["csrf_token"]},
        files=[("files", ("second.gpx", too_fast, "application/gpx+xml"))],
    )
    assert refused.status_code == 422
    assert "faster than anyone can run" in refused.json()["rejected"][0]["reason"]
    running = client.get("/api/me/running").json()
    assert running["activities"] == []
    assert [a["sport"] for a in running["cross_training"]] == ["cycling"]
