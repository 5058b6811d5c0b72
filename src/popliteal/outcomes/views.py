"""What the outcome pages show, gathered from the services, and the few reads the follow-up
service does not offer (each with the same permission check and audit).

- `pain_records`: morning pain and pain around sessions, for the pain chart (audited read).
- `safety_prompt`: whether a form asks the checklist or shows that it was answered today (at a
  check-in or at a session's finish).
The rest builds charts and summaries from what the services return.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.rules import Actor
from popliteal.accounts.schemas import PatientSummaryRead
from popliteal.accounts.schemas import RedFlagRead as SummaryRedFlag
from popliteal.alerts import service as alerts_service
from popliteal.alerts.schemas import AlertRead
from popliteal.clock import local_time
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import Instrument, urgency_rank
from popliteal.outcomes import (
    chart,
    episode,
    questionnaires,
    questionnaires_due,
    range_of_motion,
    rules,
)
from popliteal.outcomes.adherence_chart import adherence_chart
from popliteal.outcomes.pain_chart import pain_chart
from popliteal.outcomes.rom_chart import RefLine, RomPoint, rom_chart
from popliteal.outcomes.schemas import (
    DueRead,
    HistoryPoint,
    OutcomesRead,
    QuestionnaireRead,
    RangeOfMotionRead,
)
from popliteal.outcomes.score_charts import ScoreCharts, ScorePanel, score_charts
from popliteal.plans import service as plans_service
from popliteal.sessions import service as sessions_service
from popliteal.sessions.schemas import AdherenceRead

PAIN_DAYS = 182  # the pain chart covers the last 26 weeks
OCCASION_NAMES = {
    "baseline": "baseline",
    "follow_up": "follow-up",
    "discharge": "discharge",
    "ad_hoc": "extra",
}
VERDICT_TEXT = {"improved": "improved", "unchanged": "no important change", "worse": "worse"}
KIND_NAMES = {"red_flag": "Red flag", "surgical_consult": "Surgical consult", "review": "Review"}


# ------------------------------------------------------------------ reads


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
    address: str = "",
) -> list[PainRecord]:
    """Pain logged on its own and before/after sessions since `since`, oldest first.

    The person's own, or staff of their clinic (NotAllowed otherwise); the read is audited.
    """
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
        address=address,
    )
    session.commit()
    return sorted(found, key=lambda p: p.day)


def sentence(message: str) -> str:
    """A service's message as a sentence on a page."""
    text = message.strip()
    text = text[:1].upper() + text[1:]
    return text if not text or text.endswith((".", "!", "?")) else text + "."


# ------------------------------------------------------------------ questionnaire forms


@dataclass(frozen=True)
class FormOption:
    value: int
    label: str


@dataclass(frozen=True)
class FormItem:
    id: str
    number: int
    label: str  # our neutral label, always shown to clinicians
    text: str | None  # the wording shown to the person; None when only the label may be shown
    options: tuple[FormOption, ...]
    scored: bool
    wide: bool  # many options (0-10): laid out in one wrapping row


@dataclass(frozen=True)
class QuestionnaireForm:
    instrument: str
    name: str
    short_name: str
    stem: str | None
    answers_help: str
    marker: str | None  # "licensed wording not loaded" when only the labels are shown
    licence_holder: str
    items: tuple[FormItem, ...]


def short_name(instrument: str) -> str:
    return instrument.upper()


def questionnaire_form(kb: Knowledge, instrument: str, wording: Any) -> QuestionnaireForm:
    """The form of one instrument, in the wording `outcomes.wording.wording_for` chose."""
    inst: Instrument = kb.outcomes.instruments[instrument]  # type: ignore[index]
    worded = {w.id: w for w in wording.items}
    items = []
    for n, item in enumerate(inst.items, start=1):
        w = worded.get(item.id)
        values = range(item.min, item.max + 1)
        options: tuple[FormOption, ...]
        if item.yes_no:
            options = (FormOption(0, "Yes"), FormOption(1, "No"))
        elif w is not None and w.options:
            options = tuple(
                FormOption(v, label) for v, label in zip(values, w.options, strict=True)
            )
        else:
            options = tuple(FormOption(v, str(v)) for v in values)
        items.append(
            FormItem(
                id=item.id,
                number=n,
                label=item.label,
                text=w.text if w is not None else None,
                options=options,
                scored=item.scored,
                wide=len(options) > 5,
            )
        )
    return QuestionnaireForm(
        instrument=instrument,
        name=inst.name,
        short_name=short_name(instrument),
        stem=wording.stem,
        answers_help=inst.answers,
        marker=wording.marker,
        licence_holder=wording.licence_holder,
        items=tuple(items),
    )


def parse_answers(
    form: QuestionnaireForm, posted: Mapping[str, str], *, require_all: bool
) -> tuple[dict[str, int | None], list[str]]:
    """Item answers from a posted form ("" = not answered) and a message per problem.

    With `require_all`, every scored item needs an answer (the person's own form; the forms ask
    for an answer to every question). A clinician entering a paper form may leave gaps: the
    scoring rules then decide which scales can still be scored.
    """
    answers: dict[str, int | None] = {}
    problems: list[str] = []
    missing: list[str] = []
    for item in form.items:
        raw = posted.get(f"item_{item.id}", "").strip()
        if not raw:
            answers[item.id] = None
            if item.scored:
                missing.append(str(item.number))
            continue
        allowed = {str(o.value): o.value for o in item.options}
        if raw not in allowed:
            problems.append(f"Question {item.number} ({item.label}): choose one of the answers.")
            answers[item.id] = None
            continue
        answers[item.id] = allowed[raw]
    if require_all and missing:
        problems.append(
            f"Please answer every question: question{'s' if len(missing) > 1 else ''} "
            + ", ".join(missing)
            + " "
            + ("have" if len(missing) > 1 else "has")
            + " no answer."
        )
    return answers, problems


@dataclass(frozen=True)
class SafetyPrompt:
    """How a form asks the safety checklist today."""

    answered_at: str | None  # "10:42" on the clinic's clock: the list folds behind a button
    left_open: bool  # an answer earlier today was "Not sure": the whole list is asked again


def safety_prompt(
    session: Session, *, kb: Knowledge, actor: Actor, patient_id: int
) -> SafetyPrompt:
    """Ask the checklist, or say when it was answered today (it is asked once a day)."""
    today = sessions_service.todays_answers(
        session,
        kb=kb,
        actor=actor,
        patient_id=patient_id,
        checked_in=questionnaires.checked_in_safety,
    )
    at = today.safety.answered_at
    return SafetyPrompt(
        answered_at=local_time(at, today.zone, "%H:%M") if at else None,
        left_open=today.safety.left_open,
    )


# ------------------------------------------------------------------ results


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


@dataclass(frozen=True)
class ResponseResult:
    response: QuestionnaireRead
    name: str
    short_name: str
    occasion: str
    scales: list[ScaleResult]
    first: bool  # no earlier valid score to compare with


def _scale_names(kb: Knowledge, instrument: str) -> list[tuple[str, str]]:
    inst = kb.outcomes.instruments[instrument]  # type: ignore[index]
    return [(s.key, s.name) for s in inst.scales] + [(c.key, c.name) for c in inst.composites]


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
    for key, name in _scale_names(kb, response.instrument):
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
                )
            )
        else:
            scales.append(ScaleResult(key, name, value))
    return ResponseResult(
        response=response,
        name=kb.outcomes.instruments[response.instrument].name,  # type: ignore[index]
        short_name=short_name(response.instrument),
        occasion=OCCASION_NAMES.get(response.occasion, response.occasion),
        scales=scales,
        first=not any(s.verdict for s in scales),
    )


# ------------------------------------------------------------------ due questionnaires


@dataclass(frozen=True)
class DueItem:
    instrument: str
    short_name: str
    name: str
    occasion: str
    due_on: date
    days_overdue: int


def due_items(kb: Knowledge, due: Sequence[DueRead]) -> list[DueItem]:
    return [
        DueItem(
            instrument=d.instrument,
            short_name=short_name(d.instrument),
            name=kb.outcomes.instruments[d.instrument].name,  # type: ignore[index]
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


# ------------------------------------------------------------------ charts


def _instrument_range(inst: Instrument) -> tuple[float, float]:
    if inst.method == "sum":
        return 0.0, float(sum(i.max - i.min for i in inst.items if i.scored))
    if inst.method == "single_item":
        item = inst.items[0]
        return float(item.min), float(item.max)
    return 0.0, 100.0


def score_charts_for(
    kb: Knowledge, outcomes: OutcomesRead, instrument: str, *, chart_id: str
) -> ScoreCharts:
    """One panel per scale of an instrument, with the MCID band around its first score."""
    inst: Instrument = kb.outcomes.instruments[instrument]  # type: ignore[index]
    low, high = _instrument_range(inst)
    points = next((h.points for h in outcomes.history if h.instrument == instrument), [])
    panels = []
    for key, name in _scale_names(kb, instrument):
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
    return score_charts(short_name(instrument), panels, chart_id=chart_id)


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


def _deg(value: int) -> str:
    return f"{value:+d}°" if value else "0°"


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
            other_ext.extension_deg, f"other knee: extension {_deg(other_ext.extension_deg)}"
        )
    else:
        extension = RefLine(
            norms.extension_at_least, f"full extension: {_deg(norms.extension_at_least)}"
        )
    return rom_chart(
        [RomPoint(m.measured_on, m.side, m.flexion_deg, m.extension_deg) for m in treated],
        full_flexion=flexion,
        full_extension=extension,
        chart_id=chart_id,
        compact=compact,
    )


# ------------------------------------------------------------------ score table


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
        names = dict(_scale_names(kb, r.instrument))
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


# ------------------------------------------------------------------ alerts


@dataclass(frozen=True)
class PatientAlerts:
    """A patient's open alerts for the list: the most urgent first."""

    alerts: list[AlertRead] = field(default_factory=list)

    @property
    def red_flags(self) -> list[AlertRead]:
        return [a for a in self.alerts if a.kind == "red_flag"]

    @property
    def rank(self) -> int:
        """0 emergency, 1 urgent red flag, 2 surgical consult, 3 review, 9 none."""
        ranks = []
        for a in self.alerts:
            if a.kind == "red_flag":
                ranks.append(urgency_rank(a.urgency, unknown=1))
            else:
                ranks.append(2 if a.kind == "surgical_consult" else 3)
        return min(ranks, default=9)


def alerts_by_patient(alerts: Sequence[AlertRead]) -> dict[int, PatientAlerts]:
    out: dict[int, list[AlertRead]] = {}
    for a in alerts:
        out.setdefault(a.patient_id, []).append(a)
    return {pid: PatientAlerts(found) for pid, found in out.items()}


def _urgency_rank(urgency: str | None) -> int:
    return urgency_rank(urgency, unknown=9)


def fold_alerts_into_list(
    kb: Knowledge,
    patients: Sequence[PatientSummaryRead],
    by_patient: Mapping[int, PatientAlerts],
) -> list[PatientSummaryRead]:
    """The patient list with every open alert counted in: "Open red flags" holds the
    screening's and exam's open red flags and every open red-flag alert (check-in,
    questionnaire, session), one per rule; "Latest urgency" is the most urgent of the
    screening's and the open alerts' (an open alert is never hidden by a calmer screening,
    as a later self-screening never clears an exam's red flag); sorted by that urgency, then
    by alert rank, the list's own order otherwise."""
    titles = {r.id: r.title for r in kb.rules}
    empty = PatientAlerts()
    out = []
    for p in patients:
        found = by_patient.get(p.id, empty)
        flags = {f.id: f for f in p.red_flags}
        for a in found.red_flags:
            flags.setdefault(
                a.rule_id,
                SummaryRedFlag(
                    id=a.rule_id,
                    urgency=a.urgency or "urgent",
                    title=alerts_service.alert_flag_title(a.rule_id, a.reason, titles),
                ),
            )
        urgencies = [p.urgency] if p.urgency else []
        urgencies += [a.urgency for a in found.alerts if a.urgency]
        urgency = min(urgencies, key=_urgency_rank, default=None)
        red_flags = sorted(flags.values(), key=lambda f: _urgency_rank(f.urgency))
        out.append(p.model_copy(update={"urgency": urgency, "red_flags": red_flags}))
    out.sort(key=lambda p: (_urgency_rank(p.urgency), by_patient.get(p.id, empty).rank))
    return out


def alert_list_context(
    session: Session, *, kb: Knowledge, actor: Actor, patient_ids: Sequence[int], address: str = ""
) -> dict[str, Any]:
    """The patient list's alert and due-questionnaire columns (staff of the clinic)."""
    alerts = alerts_service.list_alerts(session, actor=actor, address=address)
    due = questionnaires_due.clinic_due(session, kb=kb, actor=actor, patient_ids=patient_ids)
    wanted = set(patient_ids)
    return {
        "outcome_alerts": {pid: a for pid, a in alerts_by_patient(alerts).items() if pid in wanted},
        "questionnaires_due": {
            pid: due_items(kb, found) for pid, found in due.items() if pid in wanted
        },
    }


# ------------------------------------------------------------------ discharge summary


@dataclass(frozen=True)
class SummaryScale:
    name: str
    before: float
    before_on: str
    after: float
    after_on: str
    verdict: str | None
    mcid: float | None


@dataclass(frozen=True)
class SummaryInstrument:
    short_name: str
    name: str
    scales: list[SummaryScale]


@dataclass(frozen=True)
class SummaryKnee:
    label: str
    first_on: str
    first: str
    latest_on: str
    latest: str


def _rom_text(values: Mapping[str, Any]) -> str:
    parts = []
    if values.get("flexion") is not None:
        parts.append(f"flexion {values['flexion']}°")
    if values.get("extension") is not None:
        parts.append(f"extension {_deg(int(values['extension']))}")
    return ", ".join(parts) or "not measured"


def summary_view(kb: Knowledge, summary: Mapping[str, Any]) -> dict[str, Any]:
    """The service's before/after summary laid out for the summary page and PDF."""
    instruments = []
    for entry in summary.get("instruments", []):
        instrument = str(entry["instrument"])
        names = dict(_scale_names(kb, instrument))
        given = entry.get("scales", {})
        scales = [
            SummaryScale(
                name=name,
                before=float(given[key]["before"]),
                before_on=chart.long_day(date.fromisoformat(given[key]["before_on"])),
                after=float(given[key]["after"]),
                after_on=chart.long_day(date.fromisoformat(given[key]["after_on"])),
                verdict=given[key].get("verdict"),
                mcid=given[key].get("mcid"),
            )
            for key, name in names.items()
            if key in given
        ]
        instruments.append(
            SummaryInstrument(
                short_name=short_name(instrument),
                name=kb.outcomes.instruments[instrument].name,  # type: ignore[index]
                scales=scales,
            )
        )
    knees = [
        SummaryKnee(
            label=f"{k['side'].capitalize()} knee"
            + ("" if k.get("affected", True) else " (other knee)"),
            first_on=chart.long_day(date.fromisoformat(k["first_on"])),
            first=_rom_text(k.get("first", {})),
            latest_on=chart.long_day(date.fromisoformat(k["latest_on"])),
            latest=_rom_text(k.get("latest", {})),
        )
        for k in summary.get("range_of_motion", [])
    ]
    pain = summary.get("pain", {}) or {}

    def day(value: str | None) -> str:
        return chart.long_day(date.fromisoformat(value)) if value else ""

    return {
        "instruments": instruments,
        "knees": knees,
        "pain_first": pain.get("first_week_mean"),
        "pain_last": pain.get("last_week_mean"),
        "pain_first_on": day(pain.get("first_on")),
        "pain_last_on": day(pain.get("last_on")),
        "adherence": summary.get("adherence_percent"),
        "sessions_done": summary.get("sessions_done", 0),
        "care_start": day(summary.get("care_start")),
        "until": day(summary.get("until")),
        "main_instrument": short_name(str(summary.get("main_instrument", ""))),
    }


def since_for_pain(today: date) -> date:
    return today - timedelta(days=PAIN_DAYS)


# ------------------------------------------------------------------ page bundles


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
    address: str = "",
) -> OutcomeCharts:
    """Scores, pain and range-of-motion charts of one person (NotAllowed when not theirs or
    not the clinic's); every read is audited by the service that makes it. `compact` lays the
    line charts out for a phone (the person's pages)."""
    outcomes = questionnaires.outcomes(
        session, kb=kb, actor=actor, patient_id=patient_id, address=address
    )
    today = plans_service.local_today(session, actor.clinic_id)
    since = since_for_pain(today)
    pain = pain_records(session, actor=actor, patient_id=patient_id, since=since, address=address)
    rom = range_of_motion.list_range_of_motion(
        session, actor=actor, patient_id=patient_id, address=address
    )
    answered = {h.instrument for h in outcomes.history}
    shown = [i for i in outcomes.instruments if i != "nprs"]
    shown += [i for i in rules.INSTRUMENTS if i in answered and i not in shown and i != "nprs"]
    return OutcomeCharts(
        outcomes=outcomes,
        scores=[score_charts_for(kb, outcomes, i, chart_id=f"{prefix}-{i}") for i in shown],
        pain=pain_chart_for(
            outcomes, pain, since=since, chart_id=f"{prefix}-pain", compact=compact
        ),
        rom=rom_chart_for(kb, rom, chart_id=f"{prefix}-rom", compact=compact),
        rom_measures=rom,
        due=due_items(kb, outcomes.due),
    )


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
    session: Session, *, kb: Knowledge, actor: Actor, patient_id: int, address: str = ""
) -> OutcomesCard:
    """Latest scores with their change, what is due and the open alerts of one patient."""
    outcomes = questionnaires.outcomes(
        session, kb=kb, actor=actor, patient_id=patient_id, address=address
    )
    alerts = alerts_service.list_alerts(
        session, actor=actor, patient_id=patient_id, address=address
    )

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
