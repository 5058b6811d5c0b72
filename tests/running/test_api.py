"""The runs and running-load JSON API as a person, their clinician and strangers use it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from popliteal.demo import ADMIN, CHIRO, PATIENT
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import MILE_KM
from popliteal.running.models import Activity
from tests.accounts.factories import PASSWORD
from tests.conftest import api_csrf
from tests.conftest import login as form_login
from tests.running import factories as f
from tests.running.factories import neighbour_patient, other_clinic
from tests.running.fixtures import gpx_bytes, route, sample_fit, sample_gpx, sample_tcx

CONTRACT_KEYS = {
    "unit",
    "weekly_totals",
    "week_over_week_change_pct",
    "acwr_rolling",
    "acwr_ewma",
    "longest_run_spike_pct",
    "surface_share",
    "flags",
}
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<gpx version="1.1"><trk><name>&lol3;</name></trk></gpx>
"""


def login(client: Any, email: str, password: str) -> None:
    """Log in and send the CSRF token from then on, as a program importing files does."""
    form_login(client, email, password)
    api_csrf(client)


def days_ago(days: int) -> datetime:
    """A run's start this many days back, at 12:00 UTC (the same date in Chicago)."""
    moment = datetime.now(UTC) - timedelta(days=days)
    return moment.replace(hour=12, minute=0, second=0, microsecond=0)


def upload(*named: tuple[str, bytes]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (name, data, "application/octet-stream")) for name, data in named]


def patient_id(db: Session) -> int:
    pid = f.demo_patient(db).id
    db.rollback()
    return pid


def test_a_run_entered_in_km_or_miles_is_stored_in_km(client: Any, db: Session) -> None:
    pid = patient_id(db)
    yesterday = (f.clinic_today(db, 1) - timedelta(days=1)).isoformat()
    login(client, PATIENT.email, PATIENT.password)
    km = client.post(
        "/api/me/activities", json={"local_date": yesterday, "distance": 5, "unit": "km"}
    )
    assert km.status_code == 201, km.text
    # 3.1 mi = 3.1 x 1.609344 = 4.9889664 km
    mi = client.post(
        "/api/me/activities",
        json={"local_date": yesterday, "distance": 3.1, "unit": "mi", "surface": "grass_or_mixed"},
    )
    assert mi.status_code == 201, mi.text
    assert mi.json()["distance_km"] == pytest.approx(4.9889664)
    assert mi.json()["distance_mi"] == pytest.approx(3.1)
    assert km.json()["distance_mi"] == pytest.approx(5 / MILE_KM)
    db.expire_all()
    assert db.scalars(
        select(Activity.distance_km).where(Activity.patient_id == pid).order_by(Activity.id)
    ).all() == pytest.approx([5, 4.9889664])
    db.rollback()
    mine = client.get(f"/api/activities/{mi.json()['id']}")
    assert mine.json()["surface"] == "grass_or_mixed"


def test_a_run_in_the_future_is_refused_with_a_message(client: Any, db: Session) -> None:
    tomorrow = (f.clinic_today(db, 1) + timedelta(days=1)).isoformat()
    login(client, PATIENT.email, PATIENT.password)
    refused = client.post("/api/me/activities", json={"local_date": tomorrow, "distance": 5})
    assert refused.status_code == 422
    assert refused.json()["detail"] == f"{tomorrow} is in the future: log a run once it is done"
    assert f.run_count(db) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"distance": 0},
        {"distance": 301},
        {"distance": 5, "unit": "furlong"},
        {"distance": 5, "pain_during": 11},
        {"distance": 5, "surface": "sand"},
        {"distance": 5, "secret": 1},
    ],
)
def test_impossible_runs_are_refused(client: Any, db: Session, body: dict[str, Any]) -> None:
    login(client, PATIENT.email, PATIENT.password)
    day = f.clinic_today(db, 1).isoformat()
    assert client.post("/api/me/activities", json={"local_date": day, **body}).status_code == 422
    assert f.run_count(db) == 0


@pytest.mark.postgres
def test_several_files_at_once_and_the_same_file_again(client: Any, db: Session) -> None:
    login(client, PATIENT.email, PATIENT.password)
    gpx = sample_gpx(5.0, start=days_ago(5))
    files = upload(
        ("mon.gpx", gpx),
        ("wed.tcx", sample_tcx(8.0, start=days_ago(3))),
        ("fri.fit", sample_fit(6.0, start=days_ago(1))),
    )
    result = client.post(
        "/api/me/activities/import", files=files, data={"surface": "uneven_or_trail"}
    )
    assert result.status_code == 200, result.text
    body = result.json()
    assert [a["file_name"] for a in body["imported"]] == ["mon.gpx", "wed.tcx", "fri.fit"]
    assert [a["file_format"] for a in body["imported"]] == ["gpx", "tcx", "fit"]
    assert [a["surface"] for a in body["imported"]] == ["uneven_or_trail"] * 3
    assert body["imported"][1]["distance_km"] == pytest.approx(8.0)
    assert body["duplicates"] == body["rejected"] == []
    again = client.post("/api/me/activities/import", files=upload(("mon-copy.gpx", gpx)))
    assert again.json()["imported"] == []
    [duplicate] = again.json()["duplicates"]
    assert duplicate["file"] == "mon-copy.gpx"
    assert duplicate["reason"] == "already imported as 'mon.gpx'"
    assert duplicate["activity_id"] == body["imported"][0]["id"]
    assert f.run_count(db) == 3
    # 5 + 8 + 6 = 19 km in the 7 days ending today, counted once
    running = client.get("/api/me/running").json()
    assert running["load"]["weekly_totals"][-1] == pytest.approx(19 / MILE_KM, rel=0.01)


def test_a_gpx_and_a_fit_of_the_same_run_are_counted_once(client: Any, db: Session) -> None:
    login(client, PATIENT.email, PATIENT.password)
    start = days_ago(2)
    result = client.post(
        "/api/me/activities/import",
        files=upload(("run.gpx", sample_gpx(10.0, start)), ("run.fit", sample_fit(10.0, start))),
    ).json()
    assert [a["file_name"] for a in result["imported"]] == ["run.gpx"]
    assert [d["file"] for d in result["duplicates"]] == ["run.fit"]
    assert f.run_count(db) == 1


def test_a_bad_file_is_rejected_by_name_and_the_good_ones_kept(client: Any, db: Session) -> None:
    login(client, PATIENT.email, PATIENT.password)
    good = sample_gpx(5.0, start=days_ago(1))
    result = client.post(
        "/api/me/activities/import",
        files=upload(
            ("photo.jpg", b"\xff\xd8\xff\xe0 not a run"),
            ("good.gpx", good),
            ("laughs.gpx", BILLION_LAUGHS),
            ("later.gpx", gpx_bytes(route(50, 10.0, start=days_ago(-5)))),
            ("empty.fit", b""),
        ),
    )
    assert result.status_code == 200, result.text
    body = result.json()
    assert [a["file_name"] for a in body["imported"]] == ["good.gpx"]
    reasons = {r["file"]: r["reason"] for r in body["rejected"]}
    assert set(reasons) == {"photo.jpg", "laughs.gpx", "later.gpx", "empty.fit"}
    assert "not a GPS file" in reasons["photo.jpg"]
    assert "entit" in reasons["laughs.gpx"].lower()
    assert "in the future" in reasons["later.gpx"]
    assert reasons["empty.fit"] == "is empty"
    db.expire_all()
    assert db.scalars(select(Activity.file_name)).all() == ["good.gpx"]
    db.rollback()


def test_an_upload_without_files_is_refused(client: Any) -> None:
    login(client, PATIENT.email, PATIENT.password)
    assert client.post("/api/me/activities/import", data={"surface": "sand"}).status_code == 422


@pytest.fixture
def small_limit_client(settings: Any, kb: Knowledge) -> Iterator[TestClient]:
    """The app with a 4 KB per-file limit (POPLITEAL_MAX_UPLOAD_MB in production)."""
    from popliteal.server import create_app

    app = create_app(dataclasses.replace(settings, max_upload_bytes=4096), kb=kb)
    with TestClient(app, follow_redirects=False) as client:
        yield client
    app.state.engine.dispose()


def test_a_file_over_the_limit_is_refused_and_the_small_one_kept(
    small_limit_client: TestClient, db: Session
) -> None:
    login(small_limit_client, PATIENT.email, PATIENT.password)
    small = gpx_bytes(route(12, 10.0, start=days_ago(1)))
    big = gpx_bytes(route(60, 10.0, start=days_ago(2)))
    assert len(small) <= 4096 < len(big) < 10 * 4096
    result = small_limit_client.post(
        "/api/me/activities/import", files=upload(("big.gpx", big), ("small.gpx", small))
    )
    assert result.status_code == 200, result.text
    body = result.json()
    assert [a["file_name"] for a in body["imported"]] == ["small.gpx"]
    assert body["rejected"] == [
        {"file": "big.gpx", "reason": "is larger than the 4 KB limit", "activity_id": None}
    ]
    # a request far over ten files' worth is refused before any file is read
    huge = small_limit_client.post(
        "/api/me/activities/import", files=upload(("huge.gpx", b"<gpx>" + b" " * 50_000))
    )
    assert huge.status_code == 413
    assert huge.json()["detail"] == "send at most 40 KB at once"
    assert f.run_count(db) == 1


def test_next_morning_pain_is_added_the_next_morning(client: Any, db: Session) -> None:
    today = f.clinic_today(db, 1)
    login(client, PATIENT.email, PATIENT.password)
    run_today = client.post(
        "/api/me/activities", json={"local_date": today.isoformat(), "distance": 5}
    ).json()
    run_before = client.post(
        "/api/me/activities",
        json={"local_date": (today - timedelta(days=1)).isoformat(), "distance": 5},
    ).json()
    same_day = client.patch(f"/api/activities/{run_today['id']}", json={"pain_next_morning": 2})
    assert same_day.status_code == 422
    assert same_day.json()["detail"] == "next-morning pain can be added tomorrow morning"
    morning = client.patch(
        f"/api/activities/{run_before['id']}",
        json={"pain_next_morning": 2, "pain_during": 1, "surface": "road_or_concrete"},
    )
    assert morning.status_code == 200, morning.text
    assert (morning.json()["pain_during"], morning.json()["pain_next_morning"]) == (1, 2)
    assert (
        client.patch(f"/api/activities/{run_before['id']}", json={"pain_during": 12}).status_code
        == 422
    )
    assert client.get(f"/api/activities/{run_today['id']}").json()["pain_next_morning"] is None


def test_a_null_note_clears_it(client: Any, db: Session) -> None:
    """`"note": null` answered 500 (the stored note is never null): it clears the note."""
    login(client, PATIENT.email, PATIENT.password)
    run = client.post(
        "/api/me/activities",
        json={"local_date": f.clinic_today(db, 1).isoformat(), "distance": 5, "note": "Hills"},
    ).json()
    cleared = client.patch(f"/api/activities/{run['id']}", json={"note": None, "pain_during": 0})
    assert cleared.status_code == 200, cleared.text
    assert (cleared.json()["note"], cleared.json()["pain_during"]) == ("", 0)
    assert client.get(f"/api/activities/{run['id']}").json()["note"] == ""


def test_a_run_deleted_is_gone_and_its_file_can_come_back(client: Any, db: Session) -> None:
    login(client, PATIENT.email, PATIENT.password)
    gpx = sample_gpx(5.0, start=days_ago(1))
    [run] = client.post("/api/me/activities/import", files=upload(("a.gpx", gpx))).json()[
        "imported"
    ]
    assert client.delete(f"/api/activities/{run['id']}").status_code == 204
    assert client.get(f"/api/activities/{run['id']}").status_code == 404
    assert client.delete(f"/api/activities/{run['id']}").status_code == 404
    assert f.run_count(db) == 0
    back = client.post("/api/me/activities/import", files=upload(("a.gpx", gpx))).json()
    assert [a["file_name"] for a in back["imported"]] == ["a.gpx"]


def test_the_unit_preference_changes_what_is_shown_not_what_is_stored(
    client: Any, db: Session
) -> None:
    pid = patient_id(db)
    f.add_run(db, patient_id=pid, day=f.clinic_today(db, 1), km=8.0467)  # 5.0000 mi
    login(client, PATIENT.email, PATIENT.password)
    assert client.get("/api/me/running").json()["unit"] == "mi"  # the seeds speak in miles
    in_mi = client.get("/api/me/running").json()["load"]
    assert in_mi["weekly_totals"] == pytest.approx([8.0467 / MILE_KM])
    changed = client.put("/api/me/distance-unit", json={"unit": "km"})
    assert changed.json() == {"unit": "km"}
    running = client.get("/api/me/running").json()
    assert running["unit"] == running["load"]["unit"] == "km"
    assert running["load"]["weekly_totals"] == pytest.approx([8.0467])
    # a run entered without a unit is now in km
    day = f.clinic_today(db, 1).isoformat()
    plain = client.post("/api/me/activities", json={"local_date": day, "distance": 3})
    assert plain.json()["distance_km"] == 3
    assert client.put("/api/me/distance-unit", json={"unit": "yd"}).status_code == 422


def test_a_painful_week_over_15_miles_is_flagged(client: Any, db: Session) -> None:
    """4 runs of 4 mi in the 7 days ending today = 16 mi, the last one hurting 5/10."""
    pid = patient_id(db)
    today = f.clinic_today(db, 1)
    for back in (6, 4, 2):
        f.add_run(db, patient_id=pid, day=today - timedelta(days=back), km=4 * MILE_KM)
    f.add_run(db, patient_id=pid, day=today, km=4 * MILE_KM, pain_during=5)
    login(client, PATIENT.email, PATIENT.password)
    running = client.get("/api/me/running")
    assert running.status_code == 200, running.text
    body = running.json()
    assert body["today"] == today.isoformat()
    load = body["load"]
    assert set(load) >= CONTRACT_KEYS
    assert load["unit"] == "mi"
    assert load["weekly_totals"] == pytest.approx([16])
    assert load["symptomatic"] is True
    assert [(fl["id"], fl["source"]) for fl in load["flags"]] == [
        ("weekly_over_limit", "seed_chiro_runner"),
        ("pain_during_run_over_3", load["flags"][1]["source"]),
    ]
    assert "16 mi in the last 7 days, above 15 mi a week" in load["flags"][0]["message"]
    assert "5/10" in load["flags"][1]["message"]
    assert [a["local_date"] for a in body["activities"]][:1] == [today.isoformat()]
    assert body["walk_run_in_plan"] is False
    assert body["walk_run"] is None
    # the clinician sees the same load for the patient
    client.post("/api/auth/logout")
    login(client, CHIRO.email, CHIRO.password)
    staff = client.get(f"/api/patients/{pid}/running")
    assert staff.status_code == 200
    assert staff.json()["load"] == load
    # and a patient cannot use the staff route, even for themselves
    client.post("/api/auth/logout")
    login(client, PATIENT.email, PATIENT.password)
    assert client.get(f"/api/patients/{pid}/running").status_code == 403


def test_walk_run_advice_appears_only_with_the_walk_jog_limit(
    client: Any, db: Session, kb: Knowledge
) -> None:
    """No plan: no advice (a plan without the limit: test_service.py). With it: level 1."""
    pid = patient_id(db)
    login(client, PATIENT.email, PATIENT.password)
    without = client.get("/api/me/running").json()
    assert (without["walk_run_in_plan"], without["walk_run"]) == (False, None)
    f.add_walk_run_plan(db, kb, patient_id=pid)
    with_plan = client.get("/api/me/running").json()
    assert with_plan["walk_run_in_plan"] is True
    advice = with_plan["walk_run"]
    assert (advice["level"], advice["action"], advice["can_run_today"]) == (1, "start", True)
    assert advice["max_sessions_per_week"] == 4
    assert advice["preferred_surfaces"]
    client.post("/api/auth/logout")
    login(client, CHIRO.email, CHIRO.password)
    assert client.get(f"/api/patients/{pid}/running").json()["walk_run"] == advice


def test_staff_log_and_import_runs_for_their_patient(client: Any, db: Session) -> None:
    pid = patient_id(db)
    day = f.clinic_today(db, 1).isoformat()
    login(client, ADMIN.email, ADMIN.password)
    told = client.post(
        f"/api/patients/{pid}/activities", json={"local_date": day, "distance": 4, "unit": "km"}
    )
    assert told.status_code == 201, told.text
    brought = client.post(
        f"/api/patients/{pid}/activities/import",
        files=upload(("visit.fit", sample_fit(6.0, start=days_ago(3)))),
    )
    assert [a["file_name"] for a in brought.json()["imported"]] == ["visit.fit"]
    assert f.run_count(db, pid) == 2


def test_strangers_get_404_on_every_run_route(client: Any, db: Session, kb: Knowledge) -> None:
    """Another clinic's admin and a neighbour in the same clinic reach none of these runs."""
    pid = patient_id(db)
    run = f.add_run(db, patient_id=pid, day=f.clinic_today(db, 1), km=5)
    run_id = run.id
    _, other_admin = other_clinic(db, kb)
    neighbour = neighbour_patient(db, kb)
    gpx = sample_gpx(5.0, start=days_ago(1))
    day = f.clinic_today(db, 1).isoformat()
    for email, password in ((other_admin, PASSWORD), (neighbour.patient_email, PASSWORD)):
        stranger = TestClient(client.app, follow_redirects=False)
        login(stranger, email, password)
        assert stranger.get(f"/api/activities/{run_id}").status_code == 404
        assert (
            stranger.patch(f"/api/activities/{run_id}", json={"pain_during": 9}).status_code == 404
        )
        assert stranger.delete(f"/api/activities/{run_id}").status_code == 404
        if email == other_admin:
            assert stranger.get(f"/api/patients/{pid}/running").status_code == 404
            made = stranger.post(
                f"/api/patients/{pid}/activities", json={"local_date": day, "distance": 5}
            )
            assert made.status_code == 404
            imported = stranger.post(
                f"/api/patients/{pid}/activities/import", files=upload(("x.gpx", gpx))
            )
            assert imported.status_code == 404
        else:  # the neighbour's own view shows only their own (no) runs
            assert stranger.get("/api/me/running").json()["activities"] == []
        stranger.close()
    db.expire_all()
    rows = db.scalars(select(Activity).where(Activity.patient_id == pid)).all()
    assert [(r.id, r.pain_during) for r in rows] == [(run_id, None)]
    db.rollback()


def test_a_cookie_post_of_files_without_the_csrf_token_is_refused(client: Any) -> None:
    """A cross-site form can post files with the login cookie; without the token it is 403."""
    form_login(client, PATIENT.email, PATIENT.password)
    small = gpx_bytes(route(12, 10.0, start=days_ago(1)))
    refused = client.post("/api/me/activities/import", files=upload(("a.gpx", small)))
    assert refused.status_code == 403
    api_csrf(client)
    accepted = client.post("/api/me/activities/import", files=upload(("a.gpx", small)))
    assert accepted.status_code == 200, accepted.text
