"""One person's outcome charts (scores, pain, range of motion, adherence) from what the
services return, and the pain records the pain chart reads (with the same permission check
and audit as the services)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.rules import Actor
from popliteal.db import transaction
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import Instrument
from popliteal.outcomes import chart, episode, questionnaires, range_of_motion, rules
from popliteal.outcomes.adherence_chart import adherence_chart
from popliteal.outcomes.chart import signed_degrees
from popliteal.outcomes.pain_chart import pain_chart
from popliteal.outcomes.questionnaire_forms import short_name
from popliteal.outcomes.rom_chart import RefLine, RomPoint, rom_chart
from popliteal.outcomes.schemas import OutcomesRead, RangeOfMotionRead
from popliteal.outcomes.score_charts import ScoreCharts, ScorePanel, score_charts
from popliteal.outcomes.score_results import DueItem, due_items, scale_names
from popliteal.plans import service as plans_service
from popliteal.sessions.schemas import AdherenceRead

PAIN_DAYS = 182  # the pain chart covers the last 26 weeks


@dataclass(frozen=True)
class PainRecord:
    day: date
    pain: int
    kind: str  # "morning", "other", "before" or "after"


def pain_records(
    session: Session,
    *,
    actor: Actor,
    patient_id: int,
    since: date,
) -> list[PainRecord]:
    """Pain logged on its own and before/after sessions since `since`, oldest first.

    The person's own, or staff of their clinic (NotAllowed otherwise); the read is audited.
    """
    with transaction(session):
        patient = accounts_service.get_patient(session, actor=actor, patient_id=patient_id)
        found = [
            PainRecord(p.day, int(p.pain), p.source)
            for p in episode.logged_pain(session, patient.id, since)
        ]
        accounts_service.audit(
            session,
            actor=actor,
            action="read",
            entity="pain_log",
            entity_id="*",
            patient_id=patient.id,
        )
    return sorted(found, key=lambda p: p.day)


def _instrument_range(inst: Instrument) -> tuple[float, float]:
    if inst.method == "sum":
        return 0.0, float(sum(i.max - i.min for i in inst.items if i.scored))
    if inst.method == "single_item":
        item = inst.items[0]
        return float(item.min), float(item.max)
    return 0.0, 100.0


def score_charts_for(
    kb: Knowledge,
    outcomes: OutcomesRead,
    instrument: str,
    *,
    chart_id: str,
    for_person: bool = False,
) -> ScoreCharts:
    """One panel per scale of an instrument, with the MCID band around its first score."""
    inst: Instrument = kb.outcomes.instruments[instrument]  # type: ignore[index]
    low, high = _instrument_range(inst)
    points = next((h.points for h in outcomes.history if h.instrument == instrument), [])
    panels = []
    for key, name in scale_names(kb, instrument, for_person=for_person):
        try:
            mcid: float | None = rules.mcid_for(instrument, key, kb.outcomes).points
        except ValueError:
            mcid = None  # a composite (KOOS4) has no published MCID of its own
        series = [
            chart.Point(p.local_date, float(v))
            for p in points
            if (v := p.scores.get(key)) is not None
        ]
        panels.append(ScorePanel(key, name, series, mcid, low, high))
    label = inst.person_name if for_person else short_name(instrument)
    return score_charts(label, panels, chart_id=chart_id)


def pain_chart_for(
    outcomes: OutcomesRead,
    pain: Sequence[PainRecord],
    *,
    since: date,
    chart_id: str,
    compact: bool = False,
) -> chart.Chart:
    """Morning pain, the worst pain after a session each day, and NPRS answers."""
    morning: dict[date, float] = {}
    after: dict[date, float] = {}
    for p in pain:
        if p.kind == "morning":
            morning[p.day] = p.pain
        elif p.kind == "after":
            after[p.day] = max(after.get(p.day, 0.0), float(p.pain))
    nprs: dict[date, float] = {}
    for h in outcomes.history:
        if h.instrument != "nprs":
            continue
        for point in h.points:
            value = point.scores.get("pain")
            if value is not None and point.local_date >= since:
                nprs[point.local_date] = float(value)
    return pain_chart(
        [
            chart.Series("Morning", [chart.Point(d, v) for d, v in sorted(morning.items())]),
            chart.Series("After a session", [chart.Point(d, v) for d, v in sorted(after.items())]),
            chart.Series(
                "Questionnaire (NPRS)", [chart.Point(d, v) for d, v in sorted(nprs.items())]
            ),
        ],
        chart_id=chart_id,
        compact=compact,
    )


def adherence_chart_for(
    kb: Knowledge, weeks: Sequence[AdherenceRead], *, chart_id: str
) -> chart.Chart:
    shown = list(weeks)
    while shown and shown[0].due_days == 0:
        shown.pop(0)  # weeks before the plan began would only fill the chart
    return adherence_chart(
        [(w.week_start, w.percent) for w in shown],
        adequate=kb.followup.review.adequate_care.adherence_at_least,
        chart_id=chart_id,
    )


def rom_chart_for(
    kb: Knowledge,
    measures: Sequence[RangeOfMotionRead],
    *,
    chart_id: str,
    compact: bool = False,
) -> chart.Chart:
    """The treated knee against the other knee's latest measurement, or against the norms of
    followup.yaml when the other knee was not measured."""
    norms = kb.followup.discharge.full_range_of_motion.normative
    treated = [m for m in measures if m.affected]
    other = sorted((m for m in measures if not m.affected), key=lambda m: (m.measured_on, m.id))
    other_flex = next((m for m in reversed(other) if m.flexion_deg is not None), None)
    other_ext = next((m for m in reversed(other) if m.extension_deg is not None), None)
    if other_flex is not None and other_flex.flexion_deg is not None:
        flexion = RefLine(other_flex.flexion_deg, f"other knee: flexion {other_flex.flexion_deg}°")
    else:
        flexion = RefLine(norms.flexion_at_least, f"full flexion: {norms.flexion_at_least}°")
    if other_ext is not None and other_ext.extension_deg is not None:
        extension = RefLine(
            other_ext.extension_deg,
            f"other knee: extension {signed_degrees(other_ext.extension_deg)}",
        )
    else:
        extension = RefLine(
            norms.extension_at_least, f"full extension: {signed_degrees(norms.extension_at_least)}"
        )
    return rom_chart(
        [RomPoint(m.measured_on, m.side, m.flexion_deg, m.extension_deg) for m in treated],
        full_flexion=flexion,
        full_extension=extension,
        chart_id=chart_id,
        compact=compact,
    )


def since_for_pain(today: date) -> date:
    return today - timedelta(days=PAIN_DAYS)


@dataclass(frozen=True)
class OutcomeCharts:
    outcomes: OutcomesRead
    scores: list[ScoreCharts]  # the main instrument first
    pain: chart.Chart
    rom: chart.Chart
    rom_measures: list[RangeOfMotionRead]
    due: list[DueItem]


def outcome_charts(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    prefix: str,
    compact: bool = False,
) -> OutcomeCharts:
    """Scores, pain and range-of-motion charts of one person (NotAllowed when not theirs or
    not the clinic's); every read is audited by the service that makes it. `compact` lays the
    line charts out for a phone and names the questionnaires in plain words (the person's
    pages)."""
    outcomes = questionnaires.outcomes(session, kb=kb, actor=actor, patient_id=patient_id)
    today = plans_service.local_today(session, actor.clinic_id)
    since = since_for_pain(today)
    pain = pain_records(session, actor=actor, patient_id=patient_id, since=since)
    rom = range_of_motion.list_range_of_motion(session, actor=actor, patient_id=patient_id)
    answered = {h.instrument for h in outcomes.history}
    shown = [i for i in outcomes.instruments if i != "nprs"]
    shown += [i for i in rules.INSTRUMENTS if i in answered and i not in shown and i != "nprs"]
    return OutcomeCharts(
        outcomes=outcomes,
        scores=[
            score_charts_for(kb, outcomes, i, chart_id=f"{prefix}-{i}", for_person=compact)
            for i in shown
        ],
        pain=pain_chart_for(
            outcomes, pain, since=since, chart_id=f"{prefix}-pain", compact=compact
        ),
        rom=rom_chart_for(kb, rom, chart_id=f"{prefix}-rom", compact=compact),
        rom_measures=rom,
        due=due_items(kb, outcomes.due),
    )
