"""One person's current episode of care, loaded once for the follow-up rules (what is due, the
review flags, the discharge criteria and summary). One loader serves one person and the patient
list (load_episodes; its queries are in episode_rows.py), so the two always agree.

An episode of care starts at the first visit and ends at discharge; a care plan saved after a
discharge starts a new episode, and only its own records count from then on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from popliteal import clock
from popliteal.accounts.models import Clinic, Patient
from popliteal.clock import local_date
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import FollowupSettings
from popliteal.outcomes import episode_rows, review_rules, schedule
from popliteal.outcomes.models import Discharge, QuestionnaireResponse, RangeOfMotion
from popliteal.plans.models import CarePlan, CarePlanVersion
from popliteal.running.rules import Run

RUN_HISTORY_DAYS = 365


@dataclass(frozen=True)
class Episode:
    """Everything the follow-up rules read about one person's current episode of care."""

    settings: FollowupSettings
    patient: Patient
    today: date
    interval_days: int
    preferred: str
    condition: str | None
    goal: str | None
    episode_since: date | None  # the day after the last discharge, when a new episode began
    baseline_on: date | None
    discharged_on: date | None  # set while the latest discharge is the current state
    responses: list[QuestionnaireResponse]
    pain: list[review_rules.PainScore]
    periods: list[review_rules.PlanPeriod]
    done_days: list[date]
    rom: list[RangeOfMotion]
    runs: list[Run]

    @property
    def instruments(self) -> tuple[str, ...]:
        return schedule.instruments_for(
            self.settings, condition=self.condition, preferred=self.preferred
        )

    @property
    def main(self) -> str:
        return self.instruments[0]


def current_episode(
    plans: Sequence[CarePlan], last_discharge: Discharge | None
) -> tuple[date | None, date | None, list[CarePlan]]:
    """(episode start, discharged on, the episode's plans) from all of a person's plans (by
    creation) and their latest discharge: a plan saved after the discharge starts a new episode."""
    if last_discharge is None:
        return None, None, list(plans)
    later = [p for p in plans if p.created_at > last_discharge.created_at]
    if later:
        return last_discharge.discharged_on + timedelta(days=1), None, later
    return None, last_discharge.discharged_on, list(plans)


def baseline_day(
    plans: Sequence[CarePlan], first_visit: datetime | None, zone: ZoneInfo
) -> date | None:
    """The episode's baseline day: its first plan or its first evaluation, whichever is first."""
    starts = [local_date(p.created_at, zone) for p in plans]
    if first_visit is not None:
        starts.append(local_date(first_visit, zone))
    return min(starts) if starts else None


def followed_version(
    versions: Sequence[tuple[CarePlanVersion, CarePlan]],
) -> tuple[CarePlanVersion, CarePlan] | None:
    """The version followed now (versions in start order): the active plan's current one,
    else the last one."""
    return next(
        (
            (v, p)
            for v, p in reversed(versions)
            if p.status == "active" and v.number == p.current_version
        ),
        versions[-1] if versions else None,
    )


def logged_pain(session: Session, patient_id: int, since: date) -> list[review_rules.PainScore]:
    """Pain logged on its own (morning or other) and before/after sessions since `since`:
    what the review rules read and the pain chart shows (NPRS answers are added by callers)."""
    bound = {patient_id: since}
    logged = episode_rows.pain_logs(session, bound)[patient_id]
    return logged + session_pain(episode_rows.session_marks(session, bound)[patient_id])


def session_pain(marks: Sequence[episode_rows.SessionMark]) -> list[review_rules.PainScore]:
    """The pain scores entered before and after sessions."""
    pain = []
    for m in marks:
        if m.pain_before is not None:
            pain.append(review_rules.PainScore(m.day, float(m.pain_before), "before"))
        if m.pain_after is not None:
            pain.append(review_rules.PainScore(m.day, float(m.pain_after), "after"))
    return pain


def nprs_pain(
    kb: Knowledge, responses: Sequence[QuestionnaireResponse]
) -> list[review_rules.PainScore]:
    """The pain scores of NPRS answers."""
    pain_scale = kb.outcomes.instruments["nprs"].scales[0].key
    pain = []
    for r in responses:
        value = (r.scores or {}).get("scores", {}).get(pain_scale)
        if r.instrument == "nprs" and value is not None:
            pain.append(review_rules.PainScore(r.local_date, float(value), "nprs"))
    return pain


@dataclass(frozen=True)
class _Start:
    """Where a person's current episode starts: from their clinic, discharges and plans."""

    clinic: Clinic | None
    zone: ZoneInfo
    today: date
    episode_since: date | None
    discharged_on: date | None
    plans: list[CarePlan]
    versions: list[tuple[CarePlanVersion, CarePlan]]  # of the episode's plans, by start

    @property
    def since(self) -> date:
        return self.episode_since or date.min

    @property
    def visits_since(self) -> datetime | None:
        if self.episode_since is None:
            return None
        return clock.day_start(self.episode_since, self.zone)

    @property
    def runs_since(self) -> date:
        return max(self.since, self.today - timedelta(days=RUN_HISTORY_DAYS))


def _start(
    clinic: Clinic | None,
    now: datetime,
    last_discharge: Discharge | None,
    plans: episode_rows.Plans,
    patient_id: int,
) -> _Start:
    """The person's episode bounds and plans, before the rest of their rows are read."""
    zone = clinic.zone if clinic else clock.zone(None)
    episode_since, discharged_on, current = current_episode(
        plans.by_person[patient_id], last_discharge
    )
    versions = sorted(
        ((v, p) for p in current for v in plans.versions[p.id]),
        key=lambda vp: (vp[0].starts_on, vp[0].id),
    )
    return _Start(
        clinic, zone, local_date(now, zone), episode_since, discharged_on, current, versions
    )


def _episode(
    kb: Knowledge,
    patient: Patient,
    start: _Start,
    rows: episode_rows.EpisodeRows,
    tables: frozenset[str] | None = None,
) -> Episode:
    """The episode rules applied to the person's rows (only those of `tables`, see
    load_episodes: without "sessions" no plan periods, without "pain" no pain at all)."""
    pid = patient.id
    periods = [
        review_rules.PlanPeriod(
            starts_on=v.starts_on,
            exercises=v.exercises,
            ends_on=local_date(p.ended_at, start.zone) if p.ended_at else None,
        )
        for v, p in start.versions
        if tables is None or "sessions" in tables
    ]
    current = followed_version(start.versions)
    responses = rows.responses[pid]
    nprs = nprs_pain(kb, responses) if tables is None or "pain" in tables else []
    pain = rows.pain[pid] + session_pain(rows.sessions[pid]) + nprs
    pain.sort(key=lambda p: p.day)
    return Episode(
        settings=kb.followup,
        patient=patient,
        today=start.today,
        interval_days=start.clinic.followup_interval_days if start.clinic else 14,
        preferred=start.clinic.preferred_instrument if start.clinic else "koos",
        condition=current[1].condition_id if current else patient.working_diagnosis,
        goal=current[0].goal if current else None,
        episode_since=start.episode_since,
        baseline_on=baseline_day(start.plans, rows.first_visit[pid], start.zone),
        discharged_on=start.discharged_on,
        responses=responses,
        pain=pain,
        periods=periods,
        done_days=[m.day for m in rows.sessions[pid] if m.status == "done"],
        rom=rows.rom[pid],
        runs=rows.runs[pid],
    )


def load_episodes(
    session: Session,
    kb: Knowledge,
    patients: Sequence[Patient],
    now: datetime,
    *,
    tables: frozenset[str] | None = None,
) -> dict[int, Episode]:
    """Read these people's current episodes of care as of `now` (by person, in their order), in
    a fixed number of statements whatever their number (one per table per chunk of people).

    `tables` limits the rows read beyond the plans, visits and discharges (see
    episode_rows.episode_rows): an episode read for its due questionnaires needs no runs, no
    pain and no plan periods (the versions' exercises are then not read)."""
    people = list({p.id: p for p in patients}.values())
    if not people:
        return {}
    ids = [p.id for p in people]
    clinics = {cid: session.get(Clinic, cid) for cid in dict.fromkeys(p.clinic_id for p in people)}
    discharges = episode_rows.last_discharges(session, ids)
    plans = episode_rows.plans(session, ids, content=tables is None or "sessions" in tables)
    starts = {
        p.id: _start(clinics[p.clinic_id], now, discharges.get(p.id), plans, p.id) for p in people
    }
    rows = episode_rows.episode_rows(
        session,
        since={pid: s.since for pid, s in starts.items()},
        visits_since={pid: s.visits_since for pid, s in starts.items()},
        runs_since={pid: s.runs_since for pid, s in starts.items()},
        tables=tables,
    )
    return {p.id: _episode(kb, p, starts[p.id], rows, tables) for p in people}


def load_episode(
    session: Session,
    kb: Knowledge,
    patient: Patient,
    now: datetime,
    *,
    tables: frozenset[str] | None = None,
) -> Episode:
    """Read the person's current episode of care as of `now` (the list's loader, for one)."""
    return load_episodes(session, kb, [patient], now, tables=tables)[patient.id]


def due_now(ctx: Episode) -> list[schedule.Due]:
    """The questionnaires due on the episode's today."""
    dates: dict[str, list[date]] = {}
    for r in ctx.responses:
        dates.setdefault(r.instrument, []).append(r.local_date)
    return schedule.due(
        ctx.today,
        ctx.baseline_on,
        dates,
        ctx.interval_days,
        ctx.discharged_on,
        instruments=ctx.instruments,
        settings=ctx.settings,
    )


def scored_response(r: QuestionnaireResponse) -> review_rules.ScoredResponse:
    """A stored response as the pure rules read it."""
    return review_rules.ScoredResponse(
        day=r.local_date,
        instrument=r.instrument,
        scores=dict((r.scores or {}).get("scores", {})),
        answers=dict(r.answers),
    )


def episode_adherence(ctx: Episode, until: date) -> float | None:
    """Share (%) of the exercise days done from the baseline to `until` (None before one)."""
    if ctx.baseline_on is None:
        return None
    return review_rules.care_adherence(
        ctx.periods, ctx.done_days, start=ctx.baseline_on, today=until
    )
