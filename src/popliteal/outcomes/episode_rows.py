"""The rows of the episode of care, read for many people at once: each table once per chunk of
people (patient_id IN ...), grouped by person here; episode.py applies the episode rules.

A person's episode starts on their own day, so the rows after the discharges and plans are read
from the earliest start of the chunk and each person's older rows are dropped here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, defer, load_only

from popliteal.booking.models import Appointment, AppointmentType
from popliteal.outcomes import review_rules
from popliteal.outcomes.models import Discharge, QuestionnaireResponse, RangeOfMotion
from popliteal.plans.models import CarePlan, CarePlanVersion
from popliteal.running.models import Activity
from popliteal.running.rules import Run
from popliteal.sessions.models import PainLog, SessionLog

INITIAL_EVALUATION = "initial_evaluation"
CHUNK = 500  # people per statement: a list of 10,000 is read in 20 statements per table

R = TypeVar("R")


def chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    """The ids in slices of CHUNK, so no statement carries thousands of parameters."""
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


class SessionMark(NamedTuple):
    """A session as the episode reads it: its day, its pain before and after, its status."""

    day: date
    pain_before: int | None
    pain_after: int | None
    status: str


@dataclass(frozen=True)
class Plans:
    """Each person's plans by creation, and each plan's versions by start."""

    by_person: dict[int, list[CarePlan]]
    versions: dict[int, list[CarePlanVersion]]


@dataclass(frozen=True)
class EpisodeRows:
    """Each person's rows of their current episode, in the order the rules read them."""

    first_visit: dict[int, datetime | None]
    responses: dict[int, list[QuestionnaireResponse]]
    pain: dict[int, list[review_rules.PainScore]]
    sessions: dict[int, list[SessionMark]]
    rom: dict[int, list[RangeOfMotion]]
    runs: dict[int, list[Run]]


def last_discharges(session: Session, ids: Sequence[int]) -> dict[int, Discharge]:
    """Each person's latest discharge (by day, then by entry), for those discharged."""
    out: dict[int, Discharge] = {}
    for chunk in chunks(ids):
        for d in session.scalars(
            select(Discharge)
            .where(Discharge.patient_id.in_(chunk))
            .order_by(Discharge.discharged_on, Discharge.id)
        ):
            out[d.patient_id] = d  # the last in order wins
    return out


def plans(session: Session, ids: Sequence[int], *, content: bool = True) -> Plans:
    """Every plan of these people with its versions, in one statement per chunk; without the
    versions' content (exercises, treatments and the other lists: read only if touched) when
    only where episodes start and which version is followed are wanted."""
    found = Plans(by_person={pid: [] for pid in ids}, versions={})
    lean = load_only(
        CarePlanVersion.id,
        CarePlanVersion.plan_id,
        CarePlanVersion.number,
        CarePlanVersion.goal,
        CarePlanVersion.starts_on,
    )
    for chunk in chunks(ids):
        rows = session.execute(
            select(CarePlan, CarePlanVersion)
            .options(*([] if content else [lean]))
            .outerjoin(CarePlanVersion, CarePlanVersion.plan_id == CarePlan.id)
            .where(CarePlan.patient_id.in_(chunk))
            .order_by(
                CarePlan.created_at, CarePlan.id, CarePlanVersion.starts_on, CarePlanVersion.id
            )
        ).all()
        for plan, version in rows:
            if plan.id not in found.versions:
                found.versions[plan.id] = []
                found.by_person[plan.patient_id].append(plan)
            if version is not None:
                found.versions[plan.id].append(version)
    return found


def first_visits(
    session: Session, since: Mapping[int, datetime | None]
) -> dict[int, datetime | None]:
    """Each person's first booked initial evaluation at or after their bound (any, if None)."""
    out: dict[int, datetime | None] = dict.fromkeys(since)
    for chunk in chunks(list(since)):
        query = (
            select(Appointment.patient_id, Appointment.starts_at)
            .join(AppointmentType, AppointmentType.id == Appointment.type_id)
            .where(
                Appointment.patient_id.in_(chunk),
                Appointment.status == "booked",
                AppointmentType.code == INITIAL_EVALUATION,
            )
        )
        bounds = [b for b in (since[pid] for pid in chunk) if b is not None]
        if len(bounds) == len(chunk):
            query = query.where(Appointment.starts_at >= min(bounds))
        for pid, starts_at in session.execute(query).all():
            bound, first = since[pid], out[pid]
            if (bound is None or starts_at >= bound) and (first is None or starts_at < first):
                out[pid] = starts_at
    return out


def _since(
    since: Mapping[int, date], read: Callable[[list[int], date], Iterable[tuple[int, date, R]]]
) -> dict[int, list[R]]:
    """Rows of each person on or after their own day: `read(ids, earliest)` gives (person,
    day, row) in order for a chunk, from the chunk's earliest day."""
    out: dict[int, list[R]] = {pid: [] for pid in since}
    for chunk in chunks(list(since)):
        for pid, day, row in read(chunk, min(since[pid] for pid in chunk)):
            if day >= since[pid]:
                out[pid].append(row)
    return out


def responses(
    session: Session, since: Mapping[int, date], *, answers: bool = True, scores: bool = True
) -> dict[int, list[QuestionnaireResponse]]:
    """Questionnaire responses; without their answers (read only if touched) when only the
    dates and scores are wanted: a KOOS carries 42 answers; without scores and safety answers
    either when only which questionnaire was answered on which day is wanted (what is due)."""
    options = [] if answers else [defer(QuestionnaireResponse.answers)]
    if not scores:
        options = [
            load_only(
                QuestionnaireResponse.id,
                QuestionnaireResponse.patient_id,
                QuestionnaireResponse.instrument,
                QuestionnaireResponse.occasion,
                QuestionnaireResponse.local_date,
            )
        ]

    def read(ids: list[int], earliest: date) -> Iterator[tuple[int, date, QuestionnaireResponse]]:
        for r in session.scalars(
            select(QuestionnaireResponse)
            .options(*options)
            .where(
                QuestionnaireResponse.patient_id.in_(ids),
                QuestionnaireResponse.local_date >= earliest,
            )
            .order_by(QuestionnaireResponse.local_date, QuestionnaireResponse.id)
        ):
            yield r.patient_id, r.local_date, r

    return _since(since, read)


def pain_logs(
    session: Session, since: Mapping[int, date]
) -> dict[int, list[review_rules.PainScore]]:
    """Pain logged on its own (morning or other), as entered."""

    def read(ids: list[int], earliest: date) -> Iterator[tuple[int, date, review_rules.PainScore]]:
        for pid, day, pain, kind in session.execute(
            select(PainLog.patient_id, PainLog.local_date, PainLog.pain, PainLog.kind)
            .where(PainLog.patient_id.in_(ids), PainLog.local_date >= earliest)
            .order_by(PainLog.id)
        ).all():
            yield pid, day, review_rules.PainScore(day, float(pain), kind)

    return _since(since, read)


def session_marks(session: Session, since: Mapping[int, date]) -> dict[int, list[SessionMark]]:
    """Sessions, as entered: their pain before and after, and whether they were done."""

    def read(ids: list[int], earliest: date) -> Iterator[tuple[int, date, SessionMark]]:
        for pid, day, before, after, status in session.execute(
            select(
                SessionLog.patient_id,
                SessionLog.local_date,
                SessionLog.pain_before,
                SessionLog.pain_after,
                SessionLog.status,
            )
            .where(SessionLog.patient_id.in_(ids), SessionLog.local_date >= earliest)
            .order_by(SessionLog.id)
        ).all():
            yield pid, day, SessionMark(day, before, after, status)

    return _since(since, read)


def range_of_motion(session: Session, since: Mapping[int, date]) -> dict[int, list[RangeOfMotion]]:
    def read(ids: list[int], earliest: date) -> Iterator[tuple[int, date, RangeOfMotion]]:
        for m in session.scalars(
            select(RangeOfMotion)
            .where(RangeOfMotion.patient_id.in_(ids), RangeOfMotion.measured_on >= earliest)
            .order_by(RangeOfMotion.measured_on, RangeOfMotion.id)
        ):
            yield m.patient_id, m.measured_on, m

    return _since(since, read)


def runs(session: Session, since: Mapping[int, date]) -> dict[int, list[Run]]:
    """Runs as the rules read them, as entered."""

    def read(ids: list[int], earliest: date) -> Iterator[tuple[int, date, Run]]:
        for pid, day, km, surface, during, next_morning, level in session.execute(
            select(
                Activity.patient_id,
                Activity.local_date,
                Activity.distance_km,
                Activity.surface,
                Activity.pain_during,
                Activity.pain_next_morning,
                Activity.walk_run_level,
            )
            .where(
                Activity.patient_id.in_(ids),
                Activity.local_date >= earliest,
                # rides, swims and rows are cross-training, not runs (running/sports.py)
                or_(Activity.sport == "running", Activity.walk_run_level.is_not(None)),
            )
            .order_by(Activity.id)
        ).all():
            yield (
                pid,
                day,
                Run(
                    day=day,
                    distance_km=km,
                    surface=surface,
                    pain_during=during,
                    pain_next_morning=next_morning,
                    walk_run_level=level,
                ),
            )

    return _since(since, read)


DUE_ONLY = frozenset({"responses"})  # what the questionnaires due read, besides plans and visits


def episode_rows(
    session: Session,
    *,
    since: Mapping[int, date],
    visits_since: Mapping[int, datetime | None],
    runs_since: Mapping[int, date],
    tables: frozenset[str] | None = None,
) -> EpisodeRows:
    """The rows after the discharges and plans, once each they tell where episodes start.

    `tables` (of "responses", "pain", "sessions", "rom", "runs") limits what is read, for a
    caller that reads only part of the episode (the patient list's due column reads only the
    responses): the others are left empty. None reads everything. Without "pain" the responses
    come without their scores (the NPRS pain is not wanted either)."""

    def wanted(name: str) -> bool:
        return tables is None or name in tables

    def empty() -> dict[int, list[Any]]:
        return {pid: [] for pid in since}

    return EpisodeRows(
        first_visit=first_visits(session, visits_since),
        responses=responses(session, since, answers=tables is None, scores=wanted("pain"))
        if wanted("responses")
        else empty(),
        pain=pain_logs(session, since) if wanted("pain") else empty(),
        sessions=session_marks(session, since) if wanted("sessions") else empty(),
        rom=range_of_motion(session, since) if wanted("rom") else empty(),
        runs=runs(session, runs_since) if wanted("runs") else empty(),
    )
