"""Runs, imports and the load view on a real database (SQLite and PostgreSQL), at a fixed time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts import audit_keys
from popliteal.accounts.models import AuditEvent
from popliteal.demo import ADMIN, CHIRO, PATIENT
from popliteal.errors import NotAllowed
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import MILE_KM
from popliteal.running import service as running_service
from popliteal.running.models import Activity
from popliteal.running.schemas import ActivityCreate, ActivityUpdate
from popliteal.running.service import RunningError
from popliteal.sessions.models import PainLog
from tests.running import factories as f
from tests.running.factories import neighbour_patient, other_clinic
from tests.running.fixtures import gpx_bytes, route, sample_fit, sample_gpx, sample_tcx

# 12:00 UTC is 07:00 in Chicago (the demo clinic): the clinic's today is 1 June 2025.
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
TODAY = date(2025, 6, 1)


def morning(day: date, hour: int = 7) -> datetime:
    """A run's start, `hour` o'clock in Chicago (UTC-5 in summer)."""
    return datetime.combine(day, time(hour + 5), tzinfo=UTC)


def stored(db: Session, patient_id: int) -> list[Activity]:
    db.expire_all()
    rows = list(
        db.scalars(
            select(Activity).where(Activity.patient_id == patient_id).order_by(Activity.id)
        ).all()
    )
    db.rollback()
    return rows


def manual(day: date = TODAY - timedelta(days=1), **kwargs: object) -> ActivityCreate:
    return ActivityCreate.model_validate({"local_date": day, "distance": 5.0, **kwargs})


def test_a_run_in_miles_is_stored_in_km_and_read_in_both(db: Session) -> None:
    actor = f.actor_for(db, PATIENT.email)
    pid = f.demo_patient(db).id
    db.rollback()
    read = running_service.add_activity(
        db, actor=actor, patient_id=pid, body=manual(distance=3.1, unit="mi"), now=NOW
    )
    # 3.1 mi x 1.609344 km/mi = 4.9889664 km
    assert read.distance_km == pytest.approx(4.9889664)
    assert read.distance_mi == pytest.approx(3.1)
    assert [r.distance_km for r in stored(db, pid)] == pytest.approx([4.9889664])
    # no unit: the person's own unit, miles for the demo patient
    default = running_service.add_activity(
        db, actor=actor, patient_id=pid, body=manual(distance=2), now=NOW
    )
    assert default.distance_km == pytest.approx(2 * MILE_KM)
    in_km = running_service.add_activity(
        db, actor=actor, patient_id=pid, body=manual(distance=5, unit="km"), now=NOW
    )
    assert in_km.distance_km == 5


def test_the_date_of_a_run_is_the_clinics_today_at_most(db: Session) -> None:
    """At 04:30 UTC on 2 June it is still 1 June in Chicago: 2 June is the future there."""
    actor = f.actor_for(db, PATIENT.email)
    pid = f.demo_patient(db).id
    db.rollback()
    late = datetime(2025, 6, 2, 4, 30, tzinfo=UTC)
    with pytest.raises(RunningError, match=r"2025-06-02 is in the future"):
        running_service.add_activity(
            db, actor=actor, patient_id=pid, body=manual(date(2025, 6, 2)), now=late
        )
    running_service.add_activity(
        db, actor=actor, patient_id=pid, body=manual(date(2025, 6, 1)), now=late
    )
    assert len(stored(db, pid)) == 1


def test_next_morning_pain_waits_for_the_next_morning(db: Session) -> None:
    actor = f.actor_for(db, PATIENT.email)
    pid = f.demo_patient(db).id
    db.rollback()
    with pytest.raises(RunningError, match="tomorrow morning"):
        running_service.add_activity(
            db, actor=actor, patient_id=pid, body=manual(TODAY, pain_next_morning=2), now=NOW
        )
    today = running_service.add_activity(
        db, actor=actor, patient_id=pid, body=manual(TODAY, pain_during=2), now=NOW
    )
    with pytest.raises(RunningError, match="tomorrow morning"):
        running_service.update_activity(
            db, actor=actor, activity_id=today.id, body=ActivityUpdate(pain_next_morning=3), now=NOW
        )
    tomorrow = NOW + timedelta(days=1)
    updated = running_service.update_activity(
        db,
        actor=actor,
        activity_id=today.id,
        body=ActivityUpdate(pain_next_morning=3),
        now=tomorrow,
    )
    assert (updated.pain_during, updated.pain_next_morning) == (2, 3)


@pytest.mark.postgres
def test_import_stores_each_file_once_and_names_what_it_skipped(db: Session) -> None:
    actor = f.actor_for(db, PATIENT.email)
    pid = f.demo_patient(db).id
    db.rollback()
    gpx = sample_gpx(5.0, start=morning(TODAY - timedelta(days=5)))
    tcx = sample_tcx(8.0, start=morning(TODAY - timedelta(days=3)))
    fit = sample_fit(6.0, start=morning(TODAY - timedelta(days=1)))
    first = running_service.import_files(
        db,
        actor=actor,
        patient_id=pid,
        files=[("mon.gpx", gpx), ("wed.tcx", tcx), ("fri.fit", fit), ("again.gpx", gpx)],
        surface="track_or_treadmill",
        now=NOW,
    )
    assert [a.file_name for a in first.imported] == ["mon.gpx", "wed.tcx", "fri.fit"]
    assert [(d.file, d.reason) for d in first.duplicates] == [
        ("again.gpx", "the same file as 'mon.gpx' above")
    ]
    assert first.rejected == []
    rows = stored(db, pid)
    assert [r.local_date for r in rows] == [date(2025, 5, 27), date(2025, 5, 29), date(2025, 5, 31)]
    assert [r.surface for r in rows] == ["track_or_treadmill"] * 3
    assert rows[1].distance_km == pytest.approx(8.0)  # the TCX laps' distance
    assert rows[0].distance_km == pytest.approx(5.0, rel=0.01)  # measured along the track

    again = running_service.import_files(
        db, actor=actor, patient_id=pid, files=[("mon (1).gpx", gpx)], now=NOW
    )
    assert again.imported == []
    assert again.duplicates[0].reason == "already imported as 'mon.gpx'"
    assert again.duplicates[0].activity_id == rows[0].id
    assert len(stored(db, pid)) == 3


def test_a_gpx_and_a_fit_of_the_same_run_count_once(db: Session) -> None:
    actor = f.actor_for(db, PATIENT.email)
    pid = f.demo_patient(db).id
    db.rollback()
    start = morning(TODAY - timedelta(days=2))
    result = running_service.import_files(
        db,
        actor=actor,
        patient_id=pid,
        files=[("run.fit", sample_fit(10.0, start=start)), ("run.gpx", sample_gpx(10.0, start))],
        now=NOW,
    )
    assert [a.file_name for a in result.imported] == ["run.fit"]
    assert [d.file for d in result.duplicates] == ["run.gpx"]
    assert "already imported as 'run.fit'" in result.duplicates[0].reason
    # a run entered by hand with its start time is matched too
    manual_start = morning(TODAY - timedelta(days=4))
    running_service.add_activity(
        db,
        actor=actor,
        patient_id=pid,
        body=manual(TODAY - timedelta(days=4), start_time="07:01"),
        now=NOW,
    )
    later = running_service.import_files(
        db, actor=actor, patient_id=pid, files=[("tue.gpx", sample_gpx(5.0, manual_start))], now=NOW
    )
    assert later.imported == []
    assert "the run entered on 2025-05-28" in later.duplicates[0].reason
    assert len(stored(db, pid)) == 2


def test_a_bad_file_stores_nothing_and_the_good_ones_are_kept(db: Session) -> None:
    actor = f.actor_for(db, PATIENT.email)
    pid = f.demo_patient(db).id
    db.rollback()
    future = gpx_bytes(route(50, 10.0, start=NOW + timedelta(days=3)))
    good = sample_gpx(5.0, start=morning(TODAY - timedelta(days=1)))
    result = running_service.import_files(
        db,
        actor=actor,
        patient_id=pid,
        files=[
            ("notes.txt", b"not a run"),
            ("good.gpx", good),
            ("cut.fit", sample_fit(3.0)[:-100]),
            ("later.gpx", future),
        ],
        now=NOW,
    )
    assert [a.file_name for a in result.imported] == ["good.gpx"]
    reasons = {r.file: r.reason for r in result.rejected}
    assert set(reasons) == {"notes.txt", "cut.fit", "later.gpx"}
    assert "not a GPS file" in reasons["notes.txt"]
    assert "truncated" in reasons["cut.fit"]
    assert "in the future" in reasons["later.gpx"]
    assert [r.file_name for r in stored(db, pid)] == ["good.gpx"]


def test_an_unknown_surface_is_refused_before_anything_is_read(db: Session) -> None:
    actor = f.actor_for(db, PATIENT.email)
    pid = f.demo_patient(db).id
    db.rollback()
    with pytest.raises(RunningError, match="unknown surface 'sand'"):
        running_service.import_files(
            db, actor=actor, patient_id=pid, files=[("a.gpx", sample_gpx(1.0))], surface="sand"
        )
    assert stored(db, pid) == []


@pytest.mark.postgres
def test_a_year_of_files_in_one_import_is_stored_and_audited(db: Session) -> None:
    """Forty runs at once: every one stored and audited (the ids once outgrew entity_id)."""
    actor = f.actor_for(db, PATIENT.email)
    pid = f.demo_patient(db).id
    db.rollback()
    files = [
        (
            f"run{i:03}.gpx",
            gpx_bytes(route(21, 10.0, start=morning(TODAY - timedelta(days=3 * i + 1)))),
        )
        for i in range(40)
    ]
    result = running_service.import_files(db, actor=actor, patient_id=pid, files=files, now=NOW)
    assert len(result.imported) == 40
    assert result.rejected == []
    assert len(stored(db, pid)) == 40
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.entity == "activity", AuditEvent.action == "create")
    ).all()
    by_id = {r.id: r.file_name for r in stored(db, pid)}
    opened = audit_keys.open_events(db, events)
    assert sorted(
        (e.entity_id, o.detail["file"]) for e, o in zip(events, opened, strict=True)
    ) == sorted((str(i), name) for i, name in by_id.items())
    db.rollback()


def test_the_load_view_flags_a_painful_week_over_15_miles(db: Session, kb: Knowledge) -> None:
    """16 mi in the 7 days ending today, pain 4/10 during the last run."""
    actor = f.actor_for(db, PATIENT.email)
    pid = f.demo_patient(db).id
    db.rollback()
    for days_ago in (6, 4, 2):
        f.add_run(db, patient_id=pid, day=TODAY - timedelta(days=days_ago), km=4 * MILE_KM)
    f.add_run(db, patient_id=pid, day=TODAY, km=4 * MILE_KM, pain_during=4)
    view = running_service.running_view(db, kb=kb, actor=actor, patient_id=pid, now=NOW)
    assert view.unit == "mi"
    assert view.today == TODAY
    report = view.report
    assert report.symptomatic is True  # pain logged in the last 14 days
    assert report.weekly_totals == pytest.approx([16])
    ids = [flag.id for flag in report.flags]
    assert ids == ["weekly_over_limit", "pain_during_run_over_3"]
    assert "You ran 16 mi in the last 7 days, above 15 mi a week" in report.flags[0].message
    assert "assumed" not in report.flags[0].message
    assert [(TODAY - a.local_date).days for a in view.activities] == [0, 2, 4, 6]  # newest first
    assert view.walk_run is None
    assert view.in_plan is False
    read = db.scalars(
        select(AuditEvent).where(AuditEvent.entity == "running", AuditEvent.action == "read")
    ).all()
    assert [(e.patient_id, e.actor_user_id) for e in read] == [(pid, actor.user_id)]
    db.rollback()


def test_pain_free_logs_mean_not_symptomatic(db: Session, kb: Knowledge) -> None:
    """Three weeks at 16 mi with pain 0 logged: not symptomatic, so 16 mi is not flagged."""
    actor = f.actor_for(db, PATIENT.email)
    patient = f.demo_patient(db)
    pid = patient.id
    db.add(PainLog(patient_id=pid, local_date=TODAY, kind="morning", pain=0))
    db.commit()
    f.add_runs(db, patient_id=pid, last_day=TODAY, daily_km=[4 * MILE_KM, 0] * 10 + [0])
    view = running_service.running_view(db, kb=kb, actor=actor, patient_id=pid, now=NOW)
    assert view.report.symptomatic is False
    assert "weekly_over_limit" not in [flag.id for flag in view.report.flags]


def test_walk_run_advice_only_with_the_walk_jog_limit_in_the_plan(
    db: Session, kb: Knowledge
) -> None:
    actor = f.actor_for(db, PATIENT.email)
    pid = f.demo_patient(db).id
    db.rollback()
    f.add_walk_run_plan(db, kb, patient_id=pid, with_walk_run=False)
    plain = running_service.running_view(db, kb=kb, actor=actor, patient_id=pid, now=NOW)
    assert plain.in_plan is False
    assert plain.walk_run is None
    assert plain.report.symptomatic is True  # under care


def test_walk_run_advice_starts_at_level_one(db: Session, kb: Knowledge) -> None:
    actor = f.actor_for(db, PATIENT.email)
    pid = f.demo_patient(db).id
    db.rollback()
    f.add_walk_run_plan(db, kb, patient_id=pid)
    view = running_service.running_view(db, kb=kb, actor=actor, patient_id=pid, now=NOW)
    assert view.in_plan is True
    assert view.walk_run is not None
    assert (view.walk_run.level, view.walk_run.action) == (1, "start")
    assert view.walk_run.can_run_today is True


def test_other_people_get_no_such_run(db: Session, kb: Knowledge) -> None:
    pid = f.demo_patient(db).id
    db.rollback()
    run = f.add_run(db, patient_id=pid, day=TODAY, km=5)
    _, admin_email = other_clinic(db, kb)
    neighbour = neighbour_patient(db, kb)
    strangers = [
        f.actor_for(db, admin_email),
        f.actor_for(db, neighbour.patient_email),
        f.actor_for(db, "robin@other.popliteal.test"),
    ]
    for stranger in strangers:
        with pytest.raises(NotAllowed):
            running_service.get_activity(db, actor=stranger, activity_id=run.id)
        with pytest.raises(NotAllowed):
            running_service.update_activity(
                db, actor=stranger, activity_id=run.id, body=ActivityUpdate(pain_during=9)
            )
        with pytest.raises(NotAllowed):
            running_service.delete_activity(db, actor=stranger, activity_id=run.id)
        with pytest.raises(NotAllowed):
            running_service.running_view(db, kb=kb, actor=stranger, patient_id=pid, now=NOW)
        with pytest.raises(NotAllowed):
            running_service.import_files(
                db, actor=stranger, patient_id=pid, files=[("a.gpx", sample_gpx())], now=NOW
            )
        db.rollback()
    [kept] = stored(db, pid)
    assert kept.pain_during is None


def test_staff_see_load_flags_for_their_own_patients_only(db: Session, kb: Knowledge) -> None:
    pid = f.demo_patient(db).id
    db.rollback()
    f.add_runs(db, patient_id=pid, last_day=TODAY, daily_km=[10, 0, 10, 0, 10])
    neighbour = neighbour_patient(db, kb)
    f.add_runs(db, patient_id=neighbour.patient_id, last_day=TODAY, daily_km=[3, 0, 3])
    _, admin_email = other_clinic(db, kb)
    chiro = f.actor_for(db, CHIRO.email)
    flags = running_service.load_flags(
        db, kb=kb, actor=chiro, patient_ids=[pid, neighbour.patient_id], now=NOW
    )
    # 30 km in the last 7 days, symptoms unknown: over 24.14 km; the neighbour's 6 km is not
    assert list(flags) == [pid]
    assert flags[pid][0].id == "weekly_over_limit"
    stranger = f.actor_for(db, admin_email)
    assert running_service.load_flags(db, kb=kb, actor=stranger, patient_ids=[pid], now=NOW) == {}
    patient = f.actor_for(db, PATIENT.email)
    with pytest.raises(NotAllowed):
        running_service.load_flags(db, kb=kb, actor=patient, patient_ids=[pid], now=NOW)


def test_patient_list_flags_match_each_persons_page_in_a_fixed_number_of_queries(
    db: Session, kb: Knowledge
) -> None:
    """The list loads everyone at once; it must say what each person's running page says."""
    from sqlalchemy import event

    pid = f.demo_patient(db).id
    neighbour = neighbour_patient(db, kb).patient_id
    db.rollback()
    f.add_runs(db, patient_id=pid, last_day=TODAY, daily_km=[10, 0, 10, 0, 10])
    f.add_runs(db, patient_id=neighbour, last_day=TODAY, daily_km=[10, 0, 10, 0, 10])
    # The neighbour logged a pain-free morning: not symptomatic, so no weekly-limit flag.
    db.add(PainLog(patient_id=neighbour, local_date=TODAY, kind="morning", pain=0))
    db.commit()
    f.add_walk_run_plan(db, kb, patient_id=pid)
    chiro = f.actor_for(db, CHIRO.email)

    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        one = running_service.load_flags(db, kb=kb, actor=chiro, patient_ids=[pid], now=NOW)
        queries_for_one = len(statements)
        statements.clear()
        both = running_service.load_flags(
            db, kb=kb, actor=chiro, patient_ids=[pid, neighbour], now=NOW
        )
        queries_for_two = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert queries_for_two == queries_for_one
    assert one == {pid: both[pid]}
    for patient_id in (pid, neighbour):
        view = running_service.running_view(db, kb=kb, actor=chiro, patient_id=patient_id, now=NOW)
        assert both.get(patient_id, []) == view.report.flags
    assert "weekly_over_limit" in [flag.id for flag in both[pid]]
    assert neighbour not in both


@pytest.mark.postgres
def test_deleting_a_run_lets_its_file_be_imported_again(db: Session) -> None:
    actor = f.actor_for(db, ADMIN.email)
    pid = f.demo_patient(db).id
    db.rollback()
    data = sample_gpx(5.0, start=morning(TODAY - timedelta(days=1)))
    [run] = running_service.import_files(
        db, actor=actor, patient_id=pid, files=[("a.gpx", data)], now=NOW
    ).imported
    running_service.delete_activity(db, actor=actor, activity_id=run.id)
    assert stored(db, pid) == []
    again = running_service.import_files(
        db, actor=actor, patient_id=pid, files=[("a.gpx", data)], now=NOW
    )
    assert [a.file_name for a in again.imported] == ["a.gpx"]


def test_a_pain_free_runner_of_22_to_25_miles_a_week_is_not_flagged_on_the_list_or_page(
    db: Session, kb: Knowledge
) -> None:
    """The 15 miles are a caution for people building up: months above them without pain
    (runs logged at 0/10) raise no weekly flag for the clinician or the person."""
    pid = f.demo_patient(db).id
    db.rollback()
    weekly = [22.0, 25.0, 23.0, 24.0, 25.0, 22.0, 24.0, 23.0]
    for w, miles in enumerate(weekly):
        for d in (6, 4, 2, 0):
            day = TODAY - timedelta(days=7 * (len(weekly) - 1 - w) + d)
            f.add_run(db, patient_id=pid, day=day, km=miles / 4 * MILE_KM, pain_during=0)
    chiro = f.actor_for(db, CHIRO.email)
    flags = running_service.load_flags(db, kb=kb, actor=chiro, patient_ids=[pid], now=NOW)
    view = running_service.running_view(db, kb=kb, actor=chiro, patient_id=pid, now=NOW)
    assert view.report.symptomatic is False
    assert "weekly_over_limit" not in [flag.id for flag in view.report.flags]
    assert flags.get(pid, []) == view.report.flags
