"""Runs, watch-file imports and the running-load view.

A person records their own runs; staff of their clinic read them (and may add a run for them
at a visit). The metrics and flags come from the pure `running.rules`, so the pages, the API
and `popliteal load` agree. Every read or change of a person's runs is audited.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, get_args

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Patient
from popliteal.accounts.rules import Actor, may_see_patient
from popliteal.clock import local_date, utcnow
from popliteal.db import reading, transaction
from popliteal.errors import AccountError, NotAllowed
from popliteal.knowledge.loader import Knowledge
from popliteal.plans import service as plans_service
from popliteal.plans.models import CarePlan, CarePlanVersion
from popliteal.running import _parsing, importers, return_to_run, rules, sports
from popliteal.running.models import Activity
from popliteal.running.schemas import (
    ActivityCreate,
    ActivityRead,
    ActivityUpdate,
    ImportResult,
    ImportSkipped,
    Surface,
    Unit,
)
from popliteal.sessions import service as sessions_service

SURFACES: tuple[str, ...] = get_args(Surface)
# The protocol's activity limit that puts the graded walk-run programme into a care plan.
WALK_RUN_LIMIT = "walk_jog_plan"
# Metrics look back a year at most: enough for every window the rules use (28 and 30 days).
HISTORY_DAYS = 365
SAME_RUN_WINDOW = importers.SAME_RUN_WINDOW
# A file's bytes, or a function that reads them (and may raise ImportProblem, e.g. too big).
FileSource = bytes | Callable[[], bytes]


class RunningError(AccountError):
    """A run that cannot be stored as asked (the message is shown to the person)."""


def check_patient(session: Session, *, actor: Actor, patient_id: int) -> None:
    """NotAllowed unless this actor may see the patient (checked before reading any upload)."""
    with reading(session):
        accounts_service.get_patient(session, actor=actor, patient_id=patient_id)


def _read(a: Activity) -> ActivityRead:
    return ActivityRead(
        id=a.id,
        patient_id=a.patient_id,
        local_date=a.local_date,
        started_at=a.started_at,
        distance_km=a.distance_km,
        distance_mi=a.distance_km / rules.KM_PER_MILE,
        duration_s=a.duration_s,
        elevation_gain_m=a.elevation_gain_m,
        surface=a.surface,
        pain_during=a.pain_during,
        pain_next_morning=a.pain_next_morning,
        walk_run_level=a.walk_run_level,
        sport=a.sport,
        source=a.source,
        distance_source=a.distance_source,
        file_name=a.file_name,
        file_format=a.file_format,
        note=a.note,
    )


def _to_km(distance: float, unit: str) -> float:
    return distance * rules.KM_PER_MILE if unit == "mi" else distance


def add_activity(
    session: Session,
    *,
    actor: Actor,
    patient_id: int,
    body: ActivityCreate,
    now: datetime | None = None,
) -> ActivityRead:
    """Store a run entered by hand (distance in the given unit, else the person's); audited."""
    with transaction(session):
        patient = accounts_service.get_patient(session, actor=actor, patient_id=patient_id)
        today = plans_service.local_today(session, patient.clinic_id, now)
        if body.local_date > today:
            raise RunningError(
                f"{body.local_date.isoformat()} is in the future: log a run once it is done"
            )
        if body.local_date < today - timedelta(days=HISTORY_DAYS * 5):
            raise RunningError("that date is more than five years ago")
        if body.pain_next_morning is not None and body.local_date >= today:
            raise RunningError("next-morning pain can be added tomorrow morning")
        started_at = None
        if body.start_time is not None:
            zone = accounts_service.clinic_zone(session, patient.clinic_id)
            started_at = datetime.combine(body.local_date, body.start_time, tzinfo=zone)
        row = Activity(
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            local_date=body.local_date,
            started_at=started_at,
            distance_km=_to_km(body.distance, body.unit or patient.distance_unit),
            duration_s=body.duration_minutes * 60 if body.duration_minutes is not None else None,
            elevation_gain_m=body.elevation_gain_m,
            surface=body.surface,
            pain_during=body.pain_during,
            pain_next_morning=body.pain_next_morning,
            walk_run_level=body.walk_run_level,
            source="manual",
            distance_source="manual",
            note=body.note.strip(),
            created_by=actor.user_id,
        )
        if row.distance_km > 300:
            raise RunningError("a run longer than 300 km is not believable; check the distance")
        session.add(row)
        session.flush()
        accounts_service.audit(
            session,
            actor=actor,
            action="create",
            entity="activity",
            entity_id=row.id,
            patient_id=patient.id,
            detail={"source": "manual", "distance_km": round(row.distance_km, 3)},
        )
        read = _read(row)
    return read


def _same_run(session: Session, patient_id: int, start: datetime) -> Activity | None:
    return session.scalar(
        select(Activity)
        .where(
            Activity.patient_id == patient_id,
            Activity.started_at.is_not(None),
            Activity.started_at >= start - SAME_RUN_WINDOW,
            Activity.started_at <= start + SAME_RUN_WINDOW,
        )
        .limit(1)
    )


def _describe(a: Activity) -> str:
    return f"'{a.file_name}'" if a.file_name else f"the run entered on {a.local_date.isoformat()}"


def _parse_all(
    files: Sequence[tuple[str, FileSource]], *, now: datetime, sport: str
) -> tuple[list[importers.ParsedActivity], list[ImportSkipped]]:
    """Read, parse and check every file with no database transaction open: on SQLite a
    transaction holds the one write lock, and a large file takes seconds to read. A file given
    as a function is read only when its turn comes, so one file's bytes are held at a time;
    the parse itself runs in a worker process (running/_parsing.py)."""
    parsed: list[importers.ParsedActivity] = []
    rejected: list[ImportSkipped] = []
    for name, source in files:
        try:
            data = source() if callable(source) else source
            parsed += _parsing.parse_activities(name, data, now=now, sport=sport)
        except importers.ImportProblem as exc:
            rejected.append(ImportSkipped(file=name, reason=exc.problem))
    return parsed, rejected


def import_files(
    session: Session,
    *,
    actor: Actor,
    patient_id: int,
    files: Sequence[tuple[str, FileSource]],
    surface: str | None = None,
    sport: str = "running",
    now: datetime | None = None,
) -> ImportResult:
    """Import watch files; a rejected file stores nothing, a file seen before is not counted twice.

    Each file is parsed on its own, so one bad file does not block the others; the result
    names every file and what happened to it. `sport` is the person's choice for files that
    do not say what was recorded. Parsing happens before the write, which is one short
    transaction: a big upload never keeps other people waiting for the database.
    """
    check_patient(session, actor=actor, patient_id=patient_id)  # ends any open transaction
    if surface is not None and surface not in SURFACES:
        raise RunningError(f"unknown surface {surface!r}; choose one of: {', '.join(SURFACES)}")
    if sport not in sports.SPORTS:
        raise RunningError(f"unknown sport {sport!r}; choose one of: {', '.join(sports.SPORTS)}")
    moment = now or utcnow()
    parsed, rejected = _parse_all(files, now=moment, sport=sport)
    with transaction(session):
        patient = accounts_service.get_patient(session, actor=actor, patient_id=patient_id)
        zone = accounts_service.clinic_zone(session, patient.clinic_id)
        imported: list[Activity] = []
        duplicates: list[ImportSkipped] = []
        seen: dict[str, str] = {}
        for activity in parsed:
            name = activity.filename
            if activity.content_hash in seen:
                duplicates.append(
                    ImportSkipped(
                        file=name, reason=f"the same file as '{seen[activity.content_hash]}' above"
                    )
                )
                continue
            seen[activity.content_hash] = name
            stored = session.scalar(
                select(Activity).where(
                    Activity.patient_id == patient.id,
                    Activity.content_hash == activity.content_hash,
                )
            ) or _same_run(session, patient.id, activity.start)
            if stored is not None:
                duplicates.append(
                    ImportSkipped(
                        file=name,
                        reason=f"already imported as {_describe(stored)}",
                        activity_id=stored.id,
                    )
                )
                continue
            row = Activity(
                clinic_id=patient.clinic_id,
                patient_id=patient.id,
                local_date=local_date(activity.start, zone),
                started_at=activity.start,
                distance_km=activity.distance_m / 1000,
                duration_s=activity.duration_s,
                elevation_gain_m=activity.elevation_gain_m,
                surface=surface if activity.sport in ("running", "walking") else None,
                sport=activity.sport,
                source="file",
                distance_source=activity.distance_source,
                file_name=name[:255],
                file_format=activity.file_format,
                content_hash=activity.content_hash,
                created_by=actor.user_id,
            )
            longest = 300 if activity.sport in ("running", "walking") else 500
            if row.distance_km > longest:
                rejected.append(
                    ImportSkipped(
                        file=name, reason=f"an activity longer than {longest} km is not believable"
                    )
                )
                continue
            try:
                with session.begin_nested():
                    session.add(row)
            except IntegrityError:  # the same file, imported at this moment by another request
                duplicates.append(ImportSkipped(file=name, reason="already imported"))
                continue
            imported.append(row)
        for a in imported:  # one event per run: a joined id list outgrows entity_id's 64 chars
            accounts_service.audit(
                session,
                actor=actor,
                action="create",
                entity="activity",
                entity_id=a.id,
                patient_id=patient.id,
                detail={"source": "file", "file": a.file_name, "sport": a.sport},
            )
        result = ImportResult(
            imported=[_read(a) for a in imported], duplicates=duplicates, rejected=rejected
        )
    return result


def _own_activity(session: Session, actor: Actor, activity_id: int) -> Activity:
    row = session.get(Activity, activity_id)
    if row is None or not may_see_patient(
        actor, patient_id=row.patient_id, patient_clinic_id=row.clinic_id
    ):
        raise NotAllowed("no such run")
    return row


def get_activity(session: Session, *, actor: Actor, activity_id: int) -> ActivityRead:
    """One run, for its owner or their clinic's staff (a read of the record, audited)."""
    with transaction(session):
        row = _own_activity(session, actor, activity_id)
        accounts_service.audit(
            session,
            actor=actor,
            action="read",
            entity="activity",
            entity_id=row.id,
            patient_id=row.patient_id,
        )
        return _read(row)


def update_activity(
    session: Session,
    *,
    actor: Actor,
    activity_id: int,
    body: ActivityUpdate,
    now: datetime | None = None,
) -> ActivityRead:
    """Add what is known after a run: surface, pain during and next morning, walk-run level."""
    with transaction(session):
        row = _own_activity(session, actor, activity_id)
        changes = body.model_dump(exclude_unset=True)
        if "pain_next_morning" in changes and changes["pain_next_morning"] is not None:
            today = plans_service.local_today(session, row.clinic_id, now)
            if row.local_date >= today:
                raise RunningError("next-morning pain can be added tomorrow morning")
        for field, value in changes.items():
            setattr(row, field, value.strip() if isinstance(value, str) else value)
        accounts_service.audit(
            session,
            actor=actor,
            action="update",
            entity="activity",
            entity_id=row.id,
            patient_id=row.patient_id,
            detail={k: v for k, v in changes.items() if k != "note"},
        )
        read = _read(row)
    return read


def delete_activity(session: Session, *, actor: Actor, activity_id: int) -> None:
    """Remove a run logged by mistake (its file can then be imported again); audited."""
    with transaction(session):
        row = _own_activity(session, actor, activity_id)
        accounts_service.audit(
            session,
            actor=actor,
            action="delete",
            entity="activity",
            entity_id=row.id,
            patient_id=row.patient_id,
            detail={"file": row.file_name, "local_date": row.local_date.isoformat()},
        )
        session.delete(row)


def set_unit(session: Session, *, actor: Actor, patient_id: int, unit: Unit) -> Unit:
    """Show distances in km or miles for this person (stored values stay in km)."""
    with transaction(session):
        patient = accounts_service.get_patient(session, actor=actor, patient_id=patient_id)
        if unit not in ("km", "mi"):
            raise RunningError("choose km or mi")
        patient.distance_unit = unit
        accounts_service.audit(
            session,
            actor=actor,
            action="update",
            entity="patient",
            entity_id=patient.id,
            patient_id=patient.id,
            detail={"distance_unit": unit},
        )
    return unit


# ------------------------------------------------------------------ the load view


@dataclass(frozen=True)
class RunningView:
    unit: Unit
    today: date
    activities: list[ActivityRead]  # what counts as running, newest first
    report: rules.LoadReport
    walk_run: return_to_run.WalkRunAdvice | None
    in_plan: bool  # the care plan includes the walk-run programme
    cross_training: list[ActivityRead] = field(default_factory=list)  # newest first
    shown_from: date | None = None  # the list's first day: an older import is kept, not shown


def _activities(
    session: Session, patient_ids: Sequence[int], since: date
) -> dict[int, list[Activity]]:
    """Each person's runs since `since`, oldest first, in one query."""
    out: dict[int, list[Activity]] = {pid: [] for pid in patient_ids}
    for activity in session.scalars(
        select(Activity)
        .where(Activity.patient_id.in_(list(patient_ids)), Activity.local_date >= since)
        .order_by(Activity.local_date, Activity.started_at, Activity.id)
    ):
        out[activity.patient_id].append(activity)
    return out


def _run_columns(session: Session, patient_ids: Sequence[int], since: date) -> dict[int, list[Any]]:
    """The columns of each person's runs that to_runs reads, oldest first, in one query: the
    patient list reads a year of runs for 50 people, and whole rows cost ten times more."""
    out: dict[int, list[Any]] = {pid: [] for pid in patient_ids}
    for row in session.execute(
        select(
            Activity.patient_id,
            Activity.local_date,
            Activity.distance_km,
            Activity.surface,
            Activity.pain_during,
            Activity.pain_next_morning,
            Activity.duration_s,
            Activity.walk_run_level,
            Activity.sport,
        )
        .where(Activity.patient_id.in_(list(patient_ids)), Activity.local_date >= since)
        .order_by(Activity.local_date, Activity.started_at, Activity.id)
    ):
        out[row.patient_id].append(row)
    return out


def to_runs(activities: Sequence[Any], mornings: dict[date, int]) -> list[rules.Run]:
    """The rules' view of stored runs; that morning's logged pain is the run's baseline."""
    return [
        rules.Run(
            day=a.local_date,
            distance_km=a.distance_km,
            surface=a.surface,
            pain_during=a.pain_during,
            pain_next_morning=a.pain_next_morning,
            pain_before=mornings.get(a.local_date),
            duration_s=a.duration_s,
            walk_run_level=a.walk_run_level,
        )
        for a in activities
    ]


def _plan_limits(session: Session, patient_ids: Sequence[int]) -> dict[int, list[str]]:
    """The activity-limit ids of each person's current plan (left out without an active plan)."""
    rows = session.execute(
        select(CarePlan.patient_id, CarePlanVersion.activity_limits)
        .join(CarePlan, CarePlanVersion.plan_id == CarePlan.id)
        .where(
            CarePlan.patient_id.in_(list(patient_ids)),
            CarePlan.status == "active",
            CarePlanVersion.number == CarePlan.current_version,
        )
    )
    return {pid: [str(lim.get("id", "")) for lim in limits] for pid, limits in rows}


def _symptomatic(
    kb: Knowledge,
    limits: list[str] | None,
    mornings: dict[date, int],
    runs: Sequence[rules.Run],
    today: date,
) -> bool | None:
    """From pain logged lately (mornings and runs); with none logged, under care counts as yes."""
    pain = list(mornings.items()) + [
        (r.day, p) for r in runs for p in (r.pain_during, r.pain_next_morning) if p is not None
    ]
    found = rules.symptomatic_from_pain(pain, today=today, settings=kb.running)
    if found is None and limits is not None:
        return True
    return found


def _report(
    kb: Knowledge,
    patient: Patient,
    today: date,
    runs: list[rules.Run],
    mornings: dict[date, int],
    limits: list[str] | None,
) -> rules.LoadReport:
    """One person's load report from what is stored: shared by the page and the patient list."""
    unit: Unit = "km" if patient.distance_unit == "km" else "mi"
    return rules.load_report(
        runs,
        today=today,
        settings=kb.running,
        unit=unit,
        symptomatic=_symptomatic(kb, limits, mornings, runs, today),
        start=min((r.day for r in runs), default=today),
    )


def split_running(
    activities: Sequence[Activity], limits: list[str] | None
) -> tuple[list[Activity], list[Activity]]:
    """What counts toward running load, and the cross-training shown beside it."""
    in_plan = limits is not None and WALK_RUN_LIMIT in limits
    counted: list[Activity] = []
    other: list[Activity] = []
    for a in activities:
        (
            counted if sports.counts_as_running(a.sport, walk_run_programme=in_plan) else other
        ).append(a)
    return counted, other


def _view(session: Session, kb: Knowledge, patient: Patient, now: datetime | None) -> RunningView:
    today = plans_service.local_today(session, patient.clinic_id, now)
    since = today - timedelta(days=HISTORY_DAYS - 1)
    limits = _plan_limits(session, [patient.id]).get(patient.id)
    rows, cross = split_running(_activities(session, [patient.id], since)[patient.id], limits)
    mornings = sessions_service.morning_pain(session, patient.id, since)
    runs = to_runs(rows, mornings)
    report = _report(kb, patient, today, runs, mornings, limits)
    unit = report.unit
    in_plan = limits is not None and WALK_RUN_LIMIT in limits
    advice = (
        return_to_run.walk_run_advice(
            [r for r in runs if r.walk_run_level is not None], today=today, settings=kb.running
        )
        if in_plan
        else None
    )
    return RunningView(
        unit=unit,
        today=today,
        activities=[_read(a) for a in reversed(rows)],
        report=report,
        walk_run=advice,
        in_plan=in_plan,
        cross_training=[_read(a) for a in reversed(cross)],
        shown_from=since,
    )


def running_view(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    now: datetime | None = None,
) -> RunningView:
    """The person's runs of the last year with weekly load, flags and the walk-run advice."""
    with transaction(session):
        patient = accounts_service.get_patient(session, actor=actor, patient_id=patient_id)
        view = _view(session, kb, patient, now)
        accounts_service.audit(
            session,
            actor=actor,
            action="read",
            entity="running",
            entity_id=patient.id,
            patient_id=patient.id,
        )
    return view


def load_flags(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_ids: Sequence[int],
    now: datetime | None = None,
) -> dict[int, list[rules.Flag]]:
    """Load flags for the clinician's patient list (patients with no runs are left out)."""
    if not actor.is_staff:
        raise NotAllowed("only clinicians can do this")
    with reading(session):
        with_runs = set(
            session.scalars(
                select(Activity.patient_id)
                .where(
                    Activity.patient_id.in_(list(patient_ids)),
                    Activity.clinic_id == actor.clinic_id,
                )
                .distinct()
            ).all()
        )
        out: dict[int, list[rules.Flag]] = {}
        if not with_runs:
            return out
        # A fixed number of queries whatever the list's length: the page lists every patient.
        ids = sorted(with_runs)
        today = plans_service.local_today(session, actor.clinic_id, now)
        since = today - timedelta(days=HISTORY_DAYS - 1)
        patients = session.scalars(select(Patient).where(Patient.id.in_(ids))).all()
        rows = _run_columns(session, ids, since)
        mornings = sessions_service.mornings_of(session, ids, since)
        limits = _plan_limits(session, ids)
        for patient in patients:
            counted, _cross = split_running(rows[patient.id], limits.get(patient.id))
            runs = to_runs(counted, mornings[patient.id])
            report = _report(kb, patient, today, runs, mornings[patient.id], limits.get(patient.id))
            if report.flags:
                out[patient.id] = report.flags
    return out
