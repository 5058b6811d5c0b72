"""Realistic care histories for demo patients: a screening, visits, a care plan with versions,
home sessions, morning pain, runs, questionnaires, range of motion, sometimes an open alert
or a discharge. One generator serves the demo clinic (a few people) and `demo load --scale N`
(thousands), so what a benchmark measures is what the demo shows.

Rows are plain dicts for bulk inserts; the loader (demo/bulk.py) fills in the ids. No
database and no clock here: `today` is passed in (the clinic's date) and a seeded
random.Random makes the same history every time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from popliteal.demo.calm import NO_DANGER_SIGNS
from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes import review_rules
from popliteal.outcomes import rules as outcome_rules
from popliteal.plans.rules import DraftRequest, draft_plan
from popliteal.screening.answers import parse_answers
from popliteal.screening.engine import screen, to_json

Profile = Literal["new", "active", "alert", "discharged", "discharge_ready"]
PROFILE_WEIGHTS: dict[Profile, float] = {
    "new": 0.12,
    "active": 0.48,
    "alert": 0.07,
    "discharged": 0.30,
    "discharge_ready": 0.03,
}
SURFACES = ("road_or_concrete", "uneven_or_trail", "track_or_treadmill", "grass_or_mixed")
LEVELS = 11  # questionnaire answer sets from worst (0) to best (10)

# Every warning-sign question answered "no", as the site's own interview would have asked them:
# otherwise each demo person's record says "Safety questions not completed".
_CALM = {
    "onset": "gradual",
    "symptom_duration_weeks": 4,
    "pain_trend": "stable",
    "history_knee_oa": False,
    "inflammatory_arthritis": False,
    **dict.fromkeys(NO_DANGER_SIGNS, False),
    "bruising": "none",
}
# A few screening answer sets; their results are computed once per knowledge version.
SCREENINGS: tuple[dict[str, object], ...] = (
    {"age_years": 34, "sex": "female", "runner": True, "weekly_running_miles": 22, **_CALM},
    {"age_years": 28, "sex": "male", "runner": True, "weekly_running_miles": 30, **_CALM},
    {"age_years": 61, "sex": "female", "runner": False, **_CALM},
    {**_CALM, "age_years": 47, "sex": "male", "runner": False, "symptom_duration_weeks": 8},
    {"age_years": 55, "sex": "male", "runner": False, **{**_CALM, "calf_swelling": True}},
)
FIRST_NAMES = tuple(
    [
        "Avery",
        "Blake",
        "Casey",
        "Dana",
        "Eli",
        "Frankie",
        "Gale",
        "Harper",
        "Indy",
        "Jesse",
        "Kai",
        "Lane",
        "Morgan",
        "Noel",
        "Oakley",
        "Parker",
        "Quinn",
        "Riley",
        "Sage",
        "Taylor",
        "Uma",
        "Val",
        "Wren",
        "Yael",
        "Zion",
        "Robin",
        "Sky",
        "Rowan",
        "Emery",
        "Hayden",
    ]
)
LAST_NAMES = tuple(
    [
        "Adams",
        "Brooks",
        "Carter",
        "Diaz",
        "Evans",
        "Foster",
        "Garcia",
        "Hughes",
        "Ito",
        "Jensen",
        "Khan",
        "Lopez",
        "Murphy",
        "Nguyen",
        "Okafor",
        "Patel",
        "Quist",
        "Reyes",
        "Silva",
        "Tanaka",
        "Underwood",
        "Vargas",
        "Walsh",
        "Young",
        "Zhang",
        "Novak",
        "Moreau",
    ]
)


@dataclass(frozen=True)
class Templates:
    """What is computed once and shared by every history: screening results, plan versions
    by condition and phase, scored questionnaire answers by level."""

    knowledge_version: str
    screenings: list[dict[str, Any]]
    phases: dict[str, list[str]]
    versions: dict[tuple[str, str], dict[str, Any]]
    questionnaires: dict[str, list[tuple[dict[str, Any], dict[str, Any], bool]]]
    urgent_rules: list[tuple[str, str]]


def _screening_template(kb: Knowledge, raw: dict[str, object]) -> dict[str, Any]:
    known = {k: v for k, v in raw.items() if k in kb.findings}
    answers = parse_answers(kb, known)
    result = to_json(kb, screen(kb, answers))
    return {
        "answers": dict(answers),
        "history": [[k] for k in answers],
        "result": result,
        "urgency": result["urgency"],
    }


def _answer_levels(
    kb: Knowledge, instrument: str
) -> list[tuple[dict[str, Any], dict[str, Any], bool]]:
    """Answer sets from worst to best with their stored score (scored once here)."""
    spec = kb.outcomes.instruments[instrument]  # type: ignore[index]
    items = [i for i in spec.items if i.scored]
    main = spec.scales[0].key
    out = []
    for level in range(LEVELS):
        answers = {i.id: i.min + round((i.max - i.min) * level / (LEVELS - 1)) for i in items}
        scored = outcome_rules.score_to_json(outcome_rules.score(instrument, answers, kb.outcomes))
        out.append((answers, scored, bool(scored["valid"])))
    first = out[0][1]["scores"].get(main) or 0
    last = out[-1][1]["scores"].get(main) or 0
    higher_is_better = instrument != "nprs"
    if (last > first) != higher_is_better:
        out.reverse()  # items scored the other way round: level 0 is still the worst
    return out


def build_templates(kb: Knowledge) -> Templates:
    """Score and draft everything the histories reuse, once."""
    phases: dict[str, list[str]] = {
        cid: [str(ph.id) for ph in p.phases]
        for cid, p in sorted(kb.protocols.items())
        if p.phases and draft_plan(kb, DraftRequest(condition=cid)).referral is None
    }
    versions: dict[tuple[str, str], dict[str, Any]] = {}
    for cid, ids in phases.items():
        for phase in ids:
            draft = draft_plan(
                kb,
                DraftRequest(
                    condition=cid,
                    phase=phase,  # type: ignore[arg-type]
                    equipment=frozenset({"band", "step"}),
                ),
            )
            versions[(cid, phase)] = {
                "phase": phase,
                "exercises": [p.as_record() for p in draft.exercises],
                "treatments": [dict(t) for t in draft.treatments],
                "activity_limits": [dict(a) for a in draft.activity_limits],
                "progression_criteria": [dict(c) for c in draft.progression_criteria],
                "refer_when": [dict(r) for r in draft.refer_when],
            }
    return Templates(
        knowledge_version=kb.version,
        screenings=[_screening_template(kb, raw) for raw in SCREENINGS],
        phases=phases,
        versions=versions,
        questionnaires={i: _answer_levels(kb, i) for i in ("koos", "lefs", "nprs")},
        urgent_rules=[(r.id, r.title) for r in kb.rules if r.urgency == "urgent"],
    )


@dataclass
class Visit:
    """An appointment to place on a clinician's calendar (the loader picks the slot)."""

    day: date
    code: str  # appointment type code
    mode: str


@dataclass
class History:
    """One person's rows; plan and session rows refer to plans and versions by position."""

    profile: Profile
    condition: str | None = None
    screenings: list[dict[str, Any]] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    plans: list[dict[str, Any]] = field(default_factory=list)  # each with "versions": [...]
    sessions: list[dict[str, Any]] = field(default_factory=list)  # "version": (plan, number)
    pain_logs: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    rom: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    discharges: list[dict[str, Any]] = field(default_factory=list)


def person_name(index: int) -> str:
    """A made-up name, unique enough for a list of thousands (a number breaks ties)."""
    first = FIRST_NAMES[index % len(FIRST_NAMES)]
    last = LAST_NAMES[(index // len(FIRST_NAMES)) % len(LAST_NAMES)]
    return f"{first} {last} {index + 1}"


def _at(day: date, hour: float, zone: ZoneInfo) -> datetime:
    minutes = int(hour * 60)
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone)


def generate(
    kb: Knowledge,
    templates: Templates,
    rng: random.Random,
    *,
    today: date,
    zone: ZoneInfo,
    profile: Profile | None = None,
    runner: bool | None = None,
    weeks: int | None = None,
    condition: str | None = None,
) -> History:
    """One person's history up to `today` (their clinic's date), seeded by `rng`; the
    keywords fix what is otherwise drawn (the demo clinic's people)."""
    if profile is None:
        profile = rng.choices(list(PROFILE_WEIGHTS), weights=list(PROFILE_WEIGHTS.values()))[0]
    runner = rng.random() < 0.65 if runner is None else runner
    h = History(profile=profile)
    template = templates.screenings[0 if runner else rng.choice((2, 3))]
    if profile == "alert" and rng.random() < 0.3:
        template = templates.screenings[4]  # an urgent screening, besides the alert
    elif runner:
        template = templates.screenings[rng.choice((0, 1))]
    if profile == "discharged":
        length = 7 * (weeks or rng.randint(6, 14))
        start = today - timedelta(days=rng.randint(length + 7, 360))
    elif profile == "new":
        length, start = 0, today - timedelta(days=rng.randint(0, 6))
    else:
        length = 7 * (weeks or (10 if profile == "discharge_ready" else rng.randint(2, 16)))
        start = today - timedelta(days=length)
    end = start + timedelta(days=length)  # the discharge day, or today
    screened = start - timedelta(days=0 if profile == "new" else rng.randint(2, 10))
    h.screenings.append(
        {
            **template,
            "id": f"{rng.getrandbits(128):032x}",
            "at": _at(screened, rng.uniform(7, 21), zone),
        }
    )
    if runner:
        _runs(h, rng, today, start, end, profile)
    if profile == "new":
        if rng.random() < 0.7:
            h.visits.append(
                Visit(today + timedelta(days=rng.randint(1, 10)), "free_screening", "in_clinic")
            )
        return h
    drawn = rng.choice(sorted(templates.phases))
    if runner and "running_overload" in templates.phases and rng.random() < 0.5:
        drawn = "running_overload"
    h.condition = condition if condition in templates.phases else drawn
    _episode(h, kb, templates, rng, today=today, zone=zone, start=start, end=end, runner=runner)
    return h


def _pain_curve(rng: random.Random, start: date, end: date, ready: bool) -> Any:
    first = rng.randint(4, 7)
    span = max((end - start).days, 1)

    def pain(day: date) -> int:
        left = 1 - min(max((day - start).days / span, 0), 1)
        if ready and (end - day).days < 14:
            return rng.choice((0, 0, 1))
        return max(0, min(10, round(first * (0.15 + 0.85 * left) + rng.uniform(-1, 1))))

    return pain


def _episode(
    h: History,
    kb: Knowledge,
    templates: Templates,
    rng: random.Random,
    *,
    today: date,
    zone: ZoneInfo,
    start: date,
    end: date,
    runner: bool,
) -> None:
    ready = h.profile == "discharge_ready"
    discharged = h.profile == "discharged"
    pain = _pain_curve(rng, start, end, ready)
    h.visits.append(Visit(start, "initial_evaluation", "in_clinic"))
    day = start + timedelta(days=rng.randint(6, 10))
    while day < end:
        h.visits.append(Visit(day, "follow_up", rng.choice(("in_clinic", "in_clinic", "virtual"))))
        day += timedelta(days=rng.randint(7, 14))
    if not discharged:
        h.visits.append(Visit(today + timedelta(days=rng.randint(1, 13)), "follow_up", "in_clinic"))

    phases = templates.phases[h.condition or ""]
    first_phase = 1 if len(phases) > 1 and rng.random() < 0.5 else 0
    goal = "return_to_running" if runner else "everyday_life"
    versions = [(start, phases[first_phase])]
    if (end - start).days > 35 and first_phase + 1 < len(phases):
        versions.append((start + timedelta(days=28), phases[first_phase + 1]))
    version_rows: list[dict[str, Any]] = [
        {
            **templates.versions[(h.condition or "", phase)],
            "number": n,
            "goal": goal,
            "pain": pain(since),
            "knowledge_version": templates.knowledge_version,
            "starts_on": since,
            "change_summary": "First plan" if n == 1 else "Moved on to the next phase",
            "created_at": _at(since, 10, zone),
        }
        for n, (since, phase) in enumerate(versions, start=1)
    ]
    plan: dict[str, Any] = {
        "condition_id": h.condition,
        "status": "ended" if discharged else "active",
        "current_version": len(versions),
        "created_at": _at(start, 10, zone),
        "ended_at": _at(end, 16, zone) if discharged else None,
        "versions": version_rows,
    }
    h.plans.append(plan)

    adherence = 0.95 if ready else rng.uniform(0.4, 0.95)
    day = start + timedelta(days=1)
    while day < end or (not discharged and day <= today):
        number = 2 if len(versions) > 1 and day >= versions[1][0] else 1
        exercises = version_rows[number - 1]["exercises"]
        if rng.random() < adherence * 3 / 7:
            before = pain(day)
            h.sessions.append(
                {
                    "version": (0, number),
                    "local_date": day,
                    "status": "done",
                    "pain_before": before,
                    "pain_after": max(0, min(10, before + rng.choice((-1, 0, 0, 1)))),
                    "entries": [
                        {
                            "id": e["id"],
                            "name": e["name"],
                            "sets_prescribed": int(e.get("sets") or 1),
                            "sets_done": int(e.get("sets") or 1),
                            "hurt": False,
                        }
                        for e in exercises
                    ],
                    "started_at": _at(day, 18, zone),
                    "finished_at": _at(day, 18.5, zone),
                }
            )
        if rng.random() < (0.6 if ready else 0.3):
            h.pain_logs.append(
                {
                    "local_date": day,
                    "kind": "morning",
                    "pain": pain(day),
                    "recorded_at": _at(day, 7.5, zone),
                }
            )
        day += timedelta(days=1)

    _questionnaires(h, kb, templates, rng, zone=zone, start=start, end=end, pain=pain)
    flexion, extension = rng.randint(105, 125), rng.choice((-10, -8, -5))
    side = rng.choice(("left", "right"))
    measured = [start, *(start + timedelta(days=d) for d in range(28, (end - start).days, 28))]
    if ready:
        measured.append(end - timedelta(days=3))
    for i, on in enumerate(measured):
        frac = (on - start).days / max((end - start).days, 1)
        full = ready and i == len(measured) - 1
        h.rom.append(
            {
                "side": side,
                "flexion_deg": 140 if full else round(flexion + (138 - flexion) * frac),
                "extension_deg": 0 if full else round(extension * (1 - frac)),
                "measured_on": on,
                "created_at": _at(on, 9.5, zone),
            }
        )
    if h.profile == "alert":
        if rng.random() < 0.6 and templates.urgent_rules:
            rule_id, title = rng.choice(templates.urgent_rules)
            h.alerts.append(
                {
                    "kind": "red_flag",
                    "urgency": "urgent",
                    "rule_id": rule_id,
                    "reason": f"Reported at a check-in: {title}",
                    "source": "check_in",
                    "created_at": _at(today - timedelta(days=rng.randint(0, 3)), 8, zone),
                }
            )
        else:
            h.alerts.append(
                {
                    "kind": "review",
                    "urgency": None,
                    "rule_id": review_rules.REVIEW_PAIN_WORSE,
                    "reason": "Pain has been higher than at the start for over a week.",
                    "source": "review",
                    "created_at": _at(today - timedelta(days=rng.randint(0, 5)), 8, zone),
                }
            )
    if discharged:
        h.discharges.append(
            {
                "discharged_on": end,
                "note": "Goals reached; home programme to keep.",
                "knowledge_version": templates.knowledge_version,
                "created_at": _at(end, 16, zone),
            }
        )


def _questionnaires(
    h: History,
    kb: Knowledge,
    templates: Templates,
    rng: random.Random,
    *,
    zone: ZoneInfo,
    start: date,
    end: date,
    pain: Any,
) -> None:
    span = max((end - start).days, 1)
    days = [start, *(start + timedelta(days=d) for d in range(14, span, 14))]
    if h.profile in ("discharged", "discharge_ready"):
        days.append(end - timedelta(days=2 if h.profile == "discharge_ready" else 0))
    for i, day in enumerate(days):
        occasion = "baseline" if i == 0 else "follow_up"
        if h.profile == "discharged" and i == len(days) - 1:
            occasion = "discharge"
        frac = (day - start).days / span
        best = h.profile == "discharge_ready" and i == len(days) - 1
        level = (
            LEVELS - 1
            if best
            else min(LEVELS - 1, max(0, round(2 + 7 * frac + rng.uniform(-1, 1))))
        )
        answers, scores, valid = templates.questionnaires["koos"][level]
        row = {"occasion": occasion, "local_date": day, "submitted_at": _at(day, 19, zone)}
        h.responses.append(
            {**row, "instrument": "koos", "answers": answers, "scores": scores, "valid": valid}
        )
        nprs_level = LEVELS - 1 - max(0, min(10, pain(day)))
        answers, scores, valid = templates.questionnaires["nprs"][nprs_level]
        h.responses.append(
            {**row, "instrument": "nprs", "answers": answers, "scores": scores, "valid": valid}
        )


def _runs(
    h: History, rng: random.Random, today: date, start: date, end: date, profile: Profile
) -> None:
    """About a year of runs: steady before the knee hurt, fewer and shorter early in care,
    building back up (pain-free at the end of a discharge-ready episode)."""
    base_km = rng.uniform(4, 9)
    surface = rng.choice(SURFACES)
    in_care = profile != "new"
    day = today - timedelta(days=364)
    while day <= today:
        if rng.random() < 2.6 / 7:
            km = base_km * rng.uniform(0.7, 1.4)
            during = None
            if in_care and start <= day <= end:
                frac = (day - start).days / max((end - start).days, 1)
                km *= 0.35 + 0.65 * frac
                late = profile == "discharge_ready" and (end - day).days < 14
                during = 0 if late else max(0, round(4 * (1 - frac) + rng.uniform(-1, 1)))
            elif in_care and day > end:
                during = 0
            h.runs.append(
                {
                    "local_date": day,
                    "distance_km": round(km, 2),
                    "duration_s": round(km * rng.uniform(320, 400)),
                    "surface": surface if rng.random() < 0.8 else rng.choice(SURFACES),
                    "pain_during": during,
                }
            )
        day += timedelta(days=1)
    if profile == "discharge_ready":  # three pain-free runs in the last two weeks, for sure
        for back in (2, 6, 10):
            day = today - timedelta(days=back)
            if not any(r["local_date"] == day for r in h.runs):
                h.runs.append(
                    {
                        "local_date": day,
                        "distance_km": round(base_km, 2),
                        "duration_s": round(base_km * 360),
                        "surface": surface,
                        "pain_during": 0,
                    }
                )
            else:
                for r in h.runs:
                    if r["local_date"] == day:
                        r["pain_during"] = 0
        h.runs.sort(key=lambda r: r["local_date"])
