"""What the pages show of questionnaire results: one response's scores with each scale's
change since the first, the score table, the due questionnaires, and the outcomes card of the
staff patient page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from popliteal.accounts.rules import Actor
from popliteal.alerts import service as alerts_service
from popliteal.alerts.schemas import AlertRead
from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes import questionnaires, questionnaires_due
from popliteal.outcomes.questionnaire_forms import short_name
from popliteal.outcomes.schemas import DueRead, HistoryPoint, OutcomesRead, QuestionnaireRead

OCCASION_NAMES = {
    "baseline": "baseline",
    "follow_up": "follow-up",
    "discharge": "discharge",
    "ad_hoc": "extra",
}
VERDICT_TEXT = {"improved": "improved", "unchanged": "no important change", "worse": "worse"}


@dataclass(frozen=True)
class ScaleResult:
    key: str
    name: str
    value: float | None
    before: float | None = None
    before_on: date | None = None
    difference: float | None = None
    verdict: str | None = None
    mcid: float | None = None
    source: str = ""
    person_name: str = ""  # the name on the person's pages


@dataclass(frozen=True)
class ScaleName:
    key: str
    name: str
    person_name: str


@dataclass(frozen=True)
class ResponseResult:
    response: QuestionnaireRead
    name: str
    short_name: str
    occasion: str
    scales: list[ScaleResult]
    person_name: str
    first: bool  # no earlier valid score to compare with


def scale_names(
    kb: Knowledge, instrument: str, *, for_person: bool = False
) -> list[tuple[str, str]]:
    """(key, name) of each scale of the instrument, then of each composite; `for_person`
    gives the plain names the person's pages use."""
    return [(s.key, s.person_name if for_person else s.name) for s in scale_labels(kb, instrument)]


def scale_labels(kb: Knowledge, instrument: str) -> list[ScaleName]:
    inst = kb.outcomes.instruments[instrument]  # type: ignore[index]
    scales = [ScaleName(s.key, s.name, s.person_name or s.name) for s in inst.scales]
    return scales + [ScaleName(c.key, c.name, c.person_name or c.name) for c in inst.composites]


def _first_scores(history: Sequence[HistoryPoint], until_id: int) -> dict[str, tuple[float, date]]:
    first: dict[str, tuple[float, date]] = {}
    for point in history:
        if point.response_id == until_id:
            break
        for scale, value in point.scores.items():
            if value is not None and scale not in first:
                first[scale] = (float(value), point.local_date)
    return first


def response_result(
    kb: Knowledge, outcomes: OutcomesRead, response_id: int
) -> ResponseResult | None:
    """One response's scores with each scale's change since the first valid score."""
    response = next((r for r in outcomes.responses if r.id == response_id), None)
    if response is None:
        return None
    points: list[HistoryPoint] = []
    for h in outcomes.history:
        if h.instrument == response.instrument:
            points = list(h.points)
    point = next((p for p in points if p.response_id == response_id), None)
    first = _first_scores(points, response_id)
    scales: list[ScaleResult] = []
    for label in scale_labels(kb, response.instrument):
        key, name = label.key, label.name
        value = response.scores.get(key)
        change = point.change.get(key) if point is not None else None
        if change is not None and value is not None:
            scales.append(
                ScaleResult(
                    key,
                    name,
                    value,
                    before=change.before,
                    before_on=first.get(key, (0.0, None))[1],
                    difference=change.difference,
                    verdict=change.verdict,
                    mcid=change.mcid,
                    source=change.source,
                    person_name=label.person_name,
                )
            )
        else:
            scales.append(ScaleResult(key, name, value, person_name=label.person_name))
    return ResponseResult(
        response=response,
        name=kb.outcomes.instruments[response.instrument].name,  # type: ignore[index]
        short_name=short_name(response.instrument),
        person_name=kb.outcomes.instruments[response.instrument].person_name,  # type: ignore[index]
        occasion=OCCASION_NAMES.get(response.occasion, response.occasion),
        scales=scales,
        first=not any(s.verdict for s in scales),
    )


@dataclass(frozen=True)
class DueItem:
    instrument: str
    short_name: str
    name: str
    person_name: str
    purpose: str
    occasion: str
    due_on: date
    days_overdue: int


def due_items(kb: Knowledge, due: Sequence[DueRead]) -> list[DueItem]:
    return [
        DueItem(
            instrument=d.instrument,
            short_name=short_name(d.instrument),
            name=kb.outcomes.instruments[d.instrument].name,  # type: ignore[index]
            person_name=kb.outcomes.instruments[d.instrument].person_name,  # type: ignore[index]
            purpose=kb.outcomes.instruments[d.instrument].purpose,  # type: ignore[index]
            occasion=OCCASION_NAMES.get(d.occasion, d.occasion),
            due_on=d.due_on,
            days_overdue=d.days_overdue,
        )
        for d in due
    ]


def due_for_me(session: Session, *, kb: Knowledge, actor: Actor) -> list[DueItem]:
    """The person's due questionnaires for the Today page (empty for anyone else)."""
    if actor.patient_id is None:
        return []
    return due_items(
        kb,
        questionnaires_due.due_for_patient(
            session, kb=kb, actor=actor, patient_id=actor.patient_id
        ),
    )


@dataclass(frozen=True)
class ScoreRow:
    response_id: int
    day: date
    instrument: str
    occasion: str
    entered_by_patient: bool
    scales: list[ScaleResult]
    invalid: list[str]
    missing: int


def score_rows(
    kb: Knowledge, outcomes: OutcomesRead, patient_user_id: int | None
) -> list[ScoreRow]:
    """Every response, newest first, with each scale's change since its first valid score."""
    rows = []
    for r in outcomes.responses:
        result = response_result(kb, outcomes, r.id)
        if result is None:
            continue
        names = dict(scale_names(kb, r.instrument))
        rows.append(
            ScoreRow(
                response_id=r.id,
                day=r.local_date,
                instrument=short_name(r.instrument),
                occasion=result.occasion,
                entered_by_patient=r.entered_by == patient_user_id,
                scales=result.scales,
                invalid=[names.get(k, k) for k in r.invalid],
                missing=len(r.missing_items),
            )
        )
    return rows


@dataclass(frozen=True)
class OutcomesCard:
    """The staff patient page's outcomes card."""

    main: str
    latest: ResponseResult | None  # the latest response of the main instrument
    pain: ResponseResult | None  # the latest NPRS
    due: list[DueItem]
    alerts: list[AlertRead]
    discharged_on: date | None


def outcomes_card(
    session: Session, *, kb: Knowledge, actor: Actor, patient_id: int
) -> OutcomesCard:
    """Latest scores with their change, what is due and the open alerts of one patient."""
    outcomes = questionnaires.outcomes(session, kb=kb, actor=actor, patient_id=patient_id)
    alerts = alerts_service.list_alerts(session, actor=actor, patient_id=patient_id)

    def latest(instrument: str) -> ResponseResult | None:
        found = next((r for r in outcomes.responses if r.instrument == instrument), None)
        return response_result(kb, outcomes, found.id) if found else None

    return OutcomesCard(
        main=short_name(outcomes.main_instrument),
        latest=latest(outcomes.main_instrument),
        pain=latest("nprs"),
        due=due_items(kb, outcomes.due),
        alerts=alerts,
        discharged_on=outcomes.discharged_on,
    )
