"""Care plans: drafts for a patient, saved versions, the current plan and its history.

Clinicians of the patient's clinic build and change plans; the person reads only their own
current plan. Every read or change of a plan is audited. A saved version is never edited: the
next change saves the next number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal import clock
from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Patient, User
from popliteal.accounts.rules import Actor
from popliteal.clock import utcnow
from popliteal.db import transaction
from popliteal.errors import AccountError, NotAllowed, ProblemsError
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import EQUIPMENT, PHASES
from popliteal.plans import rules
from popliteal.plans.models import CarePlan, CarePlanVersion
from popliteal.plans.schemas import (
    PlanCreate,
    PlanVersionRead,
    PlanVersionSummary,
    PrescriptionRead,
)
from popliteal.screening.models import Screening

PHASE_NAMES = {
    "protect": "Protect",
    "restore_motion": "Restore motion",
    "strengthen": "Strengthen",
    "return_to_activity": "Return to activity",
}
GOAL_NAMES = {
    "everyday_life": "Everyday life without pain",
    "walking": "Walk comfortably",
    "stairs_and_squatting": "Stairs, squatting and kneeling",
    "return_to_running": "Return to running",
    "sport": "Return to sport",
}


class PlanError(AccountError):
    """A plan request that cannot be carried out as asked (shown to the clinician)."""


class PlanProblems(ProblemsError, PlanError):
    """The saved plan's problems, all of them."""


def local_today(session: Session, clinic_id: int, now: datetime | None = None) -> date:
    """Today's date in the clinic's time zone (plans and logs are dated locally)."""
    return clock.local_today(accounts_service.clinic_zone(session, clinic_id), now)


def suggested_condition(session: Session, patient: Patient) -> str | None:
    """The working diagnosis, else the top condition of the newest complete screening."""
    if patient.working_diagnosis:
        return patient.working_diagnosis
    latest = session.scalar(
        select(Screening)
        .where(Screening.patient_id == patient.id, Screening.status == "complete")
        .order_by(Screening.created_at.desc(), Screening.id.desc())
        .limit(1)
    )
    conditions = (latest.result or {}).get("conditions") if latest else None
    return str(conditions[0]["id"]) if conditions else None


PAIN_FINDING = "pain_now"


def screened_pain(session: Session, patient: Patient) -> int | None:
    """The pain score (0-10) the person gave in their newest complete screening, if any.

    Without it a draft would start in the most cautious phase only because nobody asked."""
    answers = session.scalar(
        select(Screening.answers)
        .where(
            Screening.patient_id == patient.id,
            Screening.status == "complete",
        )
        .order_by(Screening.created_at.desc(), Screening.id.desc())
        .limit(1)
    )
    value = (answers or {}).get(PAIN_FINDING)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if 0 <= value <= 10 else None


@dataclass(frozen=True)
class DraftView:
    patient_id: int
    condition: str | None
    condition_from: str  # "request", "working_diagnosis", "screening" or "none"
    draft: rules.Draft | None
    # The pain score the draft's phase came from (None: not known, so the first phase).
    pain: int | None = None


def draft_for_patient(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    request: rules.DraftRequest | None = None,
) -> DraftView:
    """The draft plan for this patient: from the request's condition, else the working
    diagnosis, else the top of their newest screening's differential."""
    with transaction(session):
        accounts_service.require_staff(actor)
        patient = accounts_service.get_patient(session, actor=actor, patient_id=patient_id)
        # The draft starts from the working diagnosis or the newest screening: a read of both.
        accounts_service.audit(
            session,
            actor=actor,
            action="read",
            entity="plan_draft",
            entity_id=patient.id,
            patient_id=patient.id,
        )
        condition, origin = (
            (request.condition, "request")
            if request and request.condition
            else (
                None,
                "none",
            )
        )
        if condition is None:
            condition = suggested_condition(session, patient)
            if condition is not None:
                origin = "working_diagnosis" if patient.working_diagnosis else "screening"
        pain = request.pain if request else screened_pain(session, patient)
    if condition is None:
        return DraftView(patient_id, None, "none", None)
    base = request or rules.DraftRequest(condition=condition, pain=pain)
    try:
        draft = rules.draft_plan(
            kb,
            rules.DraftRequest(
                condition=condition,
                goal=base.goal,
                pain=base.pain,
                equipment=base.equipment,
                minutes_per_day=base.minutes_per_day,
                phase=base.phase,
            ),
        )
    except rules.PlanRequestError as exc:
        raise PlanError(str(exc)) from None
    return DraftView(patient_id, condition, origin, draft, pain=base.pain)


def validate_plan(kb: Knowledge, spec: PlanCreate) -> list[str]:
    """Every reason this plan cannot be saved: unknown ids, a referral-only condition, or an
    exercise contraindicated for the condition in that phase."""
    problems: list[str] = []
    condition = kb.conditions.get(spec.condition)
    if condition is None:
        return [f"unknown condition '{spec.condition}'"]
    if condition.usual_care in rules.REFERRAL_ONLY:
        return [f"{condition.name} needs {condition.usual_care} medical care, not an exercise plan"]
    protocol = kb.protocols.get(spec.condition)
    if protocol is not None and spec.phase not in {ph.id for ph in protocol.phases}:
        names = ", ".join(PHASE_NAMES[ph.id] for ph in protocol.phases)
        problems.append(f"the {condition.name} protocol has no such phase; it has {names}")
    seen: set[str] = set()
    for rx in spec.exercises:
        ex = kb.exercises.get(rx.exercise_id)
        if ex is None:
            problems.append(f"unknown exercise '{rx.exercise_id}'")
            continue
        if rx.exercise_id in seen:
            problems.append(f"{ex.name} is in the plan twice")
        seen.add(rx.exercise_id)
        why = rules.is_contraindicated(ex, spec.condition, spec.phase)
        if why:
            problems.append(
                f"{ex.name} is not allowed for {condition.name} in the "
                f"{PHASE_NAMES[spec.phase].lower()} phase: {why}"
            )
        counted = rx.sets is not None and (rx.reps is not None or rx.hold_s is not None)
        if rx.minutes is None and not counted:
            problems.append(f"{ex.name} needs minutes, or sets with reps or a hold time")
    for tid in spec.treatments:
        if tid not in kb.treatments:
            problems.append(f"unknown treatment '{tid}'")
    unknown = sorted(set(spec.equipment) - set(EQUIPMENT))
    if unknown:
        problems.append("unknown equipment " + ", ".join(unknown))
    return problems


def _criteria(kb: Knowledge, condition: str, phase: str) -> list[dict[str, Any]]:
    protocol = kb.protocols.get(condition)
    for ph in protocol.phases if protocol else ():
        if ph.id == phase:
            return [
                {"id": c.id, "text": c.text, "check": c.check, "value": c.value}
                for c in ph.progression_criteria
            ]
    return []


def _refer_when(kb: Knowledge, condition: str) -> list[dict[str, Any]]:
    protocol = kb.protocols.get(condition)
    return [
        {"text": r.text, "urgency": r.urgency} for r in (protocol.refer_when if protocol else ())
    ]


def _treatment_rows(kb: Knowledge, spec: PlanCreate) -> list[dict[str, Any]]:
    notes: dict[str, str] = {}
    protocol = kb.protocols.get(spec.condition)
    for ph in protocol.phases if protocol else ():
        if ph.id == spec.phase:
            notes = {t.treatment: t.note for t in ph.treatments}
    return [
        {"id": t, "name": kb.treatments[t].name, "note": notes.get(t, "")} for t in spec.treatments
    ]


def _changed_meanwhile() -> PlanError:
    return PlanError("someone else changed this plan at the same time; reload and retry")


def save_plan(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    spec: PlanCreate,
    now: datetime | None = None,
) -> PlanVersionRead:
    """Save the plan as the patient's next current version (a new plan if the condition
    changed or none is active); audited. Raises PlanProblems listing what is wrong."""
    with transaction(session, on_conflict=_changed_meanwhile):
        accounts_service.require_staff(actor)
        patient = accounts_service.get_patient(session, actor=actor, patient_id=patient_id)
        problems = validate_plan(kb, spec)
        if problems:
            raise PlanProblems(problems)
        now = now or utcnow()
        plan = _active_plan(session, patient.id)
        if plan is not None and plan.condition_id != spec.condition:
            plan.status = "ended"
            plan.ended_at = now
            session.flush()
            plan = None
        if plan is None:
            plan = CarePlan(
                clinic_id=patient.clinic_id,
                patient_id=patient.id,
                condition_id=spec.condition,
                status="active",
                current_version=0,
                created_by=actor.user_id,
                created_at=now,
            )
            session.add(plan)
            session.flush()
        previous = (
            _version(session, plan.id, plan.current_version) if plan.current_version else None
        )
        starts_on = local_today(session, patient.clinic_id, now)
        if previous is not None and previous.phase == spec.phase:
            starts_on = previous.starts_on  # weeks in phase count from when the phase began
        number = plan.current_version + 1
        version = CarePlanVersion(
            plan_id=plan.id,
            number=number,
            phase=spec.phase,
            goal=spec.goal,
            pain=spec.pain,
            equipment=sorted(set(spec.equipment)),
            minutes_per_day=spec.minutes_per_day,
            exercises=[
                {
                    "id": rx.exercise_id,
                    "name": kb.exercises[rx.exercise_id].name,
                    "sets": rx.sets,
                    "reps": rx.reps,
                    "hold_s": rx.hold_s,
                    "minutes": rx.minutes,
                    "per_week": rx.per_week,
                    "rest_s": rx.rest_s,
                    "note": rx.note.strip(),
                    "swapped_for": rx.swapped_for.strip(),
                }
                for rx in spec.exercises
            ],
            treatments=_treatment_rows(kb, spec),
            activity_limits=[lim.model_dump() for lim in spec.activity_limits],
            progression_criteria=_criteria(kb, spec.condition, spec.phase),
            refer_when=_refer_when(kb, spec.condition),
            notes=spec.notes.strip(),
            change_summary=spec.change_summary.strip() or ("First plan" if number == 1 else ""),
            knowledge_version=kb.version,
            starts_on=starts_on,
            created_by=actor.user_id,
            created_at=now,
        )
        session.add(version)
        plan.current_version = number
        accounts_service.audit(
            session,
            actor=actor,
            action="create" if number == 1 else "update",
            entity="care_plan",
            entity_id=plan.id,
            patient_id=patient.id,
            detail={"version": number, "phase": spec.phase, "condition": spec.condition},
        )
        read = _read(session, kb, plan, version)
    return read


def _active_plan(session: Session, patient_id: int) -> CarePlan | None:
    return session.scalar(
        select(CarePlan).where(CarePlan.patient_id == patient_id, CarePlan.status == "active")
    )


def _version(session: Session, plan_id: int, number: int) -> CarePlanVersion | None:
    return session.scalar(
        select(CarePlanVersion).where(
            CarePlanVersion.plan_id == plan_id, CarePlanVersion.number == number
        )
    )


def illustration_url(exercise_id: str) -> str:
    return f"/exercises/{exercise_id}.svg"


def _read(
    session: Session, kb: Knowledge, plan: CarePlan, version: CarePlanVersion
) -> PlanVersionRead:
    author = session.get(User, version.created_by)
    condition = kb.conditions.get(plan.condition_id)
    return PlanVersionRead(
        plan_id=plan.id,
        number=version.number,
        is_current=version.number == plan.current_version and plan.status == "active",
        condition=plan.condition_id,
        condition_name=condition.name if condition else plan.condition_id,
        phase=version.phase,
        phase_name=PHASE_NAMES.get(version.phase, version.phase),
        goal=version.goal,
        pain=version.pain,
        equipment=list(version.equipment),
        minutes_per_day=version.minutes_per_day,
        exercises=[
            PrescriptionRead(
                id=e["id"],
                name=e["name"],
                sets=e.get("sets"),
                reps=e.get("reps"),
                hold_s=e.get("hold_s"),
                minutes=e.get("minutes"),
                per_week=e["per_week"],
                rest_s=e.get("rest_s", 30),
                note=e.get("note", ""),
                swapped_for=e.get("swapped_for", ""),
                dose=rules.dose_text(e),
                illustration_url=illustration_url(e["id"]),
            )
            for e in version.exercises
        ],
        treatments=list(version.treatments),
        activity_limits=list(version.activity_limits),
        progression_criteria=list(version.progression_criteria),
        refer_when=list(version.refer_when),
        notes=version.notes,
        change_summary=version.change_summary,
        starts_on=version.starts_on,
        created_at=version.created_at,
        created_by_name=author.display_name if author else "",
        knowledge_version=version.knowledge_version,
    )


def current_plan(
    session: Session, *, kb: Knowledge, actor: Actor, patient_id: int
) -> PlanVersionRead | None:
    """The plan version the person follows now (None without an active plan); audited."""
    with transaction(session):
        patient = accounts_service.get_patient(session, actor=actor, patient_id=patient_id)
        plan = _active_plan(session, patient.id)
        version = _version(session, plan.id, plan.current_version) if plan else None
        if plan is None or version is None:
            return None  # nothing to read, nothing audited: the transaction ends empty
        read = _read(session, kb, plan, version)
        accounts_service.audit(
            session,
            actor=actor,
            action="read",
            entity="care_plan",
            entity_id=plan.id,
            patient_id=patient.id,
        )
    return read


def plan_history(
    session: Session, *, kb: Knowledge, actor: Actor, patient_id: int
) -> list[PlanVersionSummary]:
    """Every saved version of every plan of this patient, newest first (clinicians only)."""
    with transaction(session):
        accounts_service.require_staff(actor)
        patient = accounts_service.get_patient(session, actor=actor, patient_id=patient_id)
        accounts_service.audit(
            session,
            actor=actor,
            action="read",
            entity="care_plan_history",
            entity_id=patient.id,
            patient_id=patient.id,
        )
        rows = session.execute(
            select(CarePlanVersion, User.display_name)
            .join(CarePlan, CarePlan.id == CarePlanVersion.plan_id)
            .join(User, User.id == CarePlanVersion.created_by)
            .where(CarePlan.patient_id == patient.id)
            .order_by(CarePlanVersion.created_at.desc(), CarePlanVersion.id.desc())
        ).all()
        # Built inside the read: the rollback at its end expires the loaded versions.
        return [
            PlanVersionSummary(
                number=v.number,
                phase=v.phase,
                exercise_count=len(v.exercises),
                change_summary=v.change_summary,
                created_at=v.created_at,
                created_by_name=name,
            )
            for v, name in rows
        ]


def read_version(
    session: Session, *, kb: Knowledge, actor: Actor, patient_id: int, number: int
) -> PlanVersionRead:
    """One saved version of the patient's active plan (clinicians only)."""
    with transaction(session):
        accounts_service.require_staff(actor)
        patient = accounts_service.get_patient(session, actor=actor, patient_id=patient_id)
        plan = _active_plan(session, patient.id)
        version = _version(session, plan.id, number) if plan else None
        if plan is None or version is None:
            raise NotAllowed("no such plan version")
        accounts_service.audit(
            session,
            actor=actor,
            action="read",
            entity="care_plan",
            entity_id=plan.id,
            patient_id=patient.id,
            detail={"version": number},
        )
        return _read(session, kb, plan, version)


def spec_from_draft(draft: rules.Draft, *, pain: int | None = None) -> PlanCreate:
    """The builder's starting form: the draft as a plan the clinician can edit and save."""
    from popliteal.plans.schemas import LimitIn, PrescriptionIn

    assert draft.phase is not None  # noqa: S101 - referral drafts never reach the builder
    return PlanCreate(
        condition=draft.condition,
        phase=draft.phase,
        goal=draft.goal,
        pain=pain,
        exercises=[
            PrescriptionIn(
                exercise_id=p.exercise_id,
                sets=p.sets,
                reps=p.reps,
                hold_s=p.hold_s,
                minutes=p.minutes,
                rest_s=p.rest_s,
                per_week=p.per_week,
                note=p.note,
                swapped_for=p.swapped_for,
            )
            for p in draft.exercises
        ],
        treatments=[t["id"] for t in draft.treatments],
        activity_limits=[LimitIn(id=lim["id"], text=lim["text"]) for lim in draft.activity_limits],
    )


def phases_of(kb: Knowledge, condition: str) -> list[str]:
    protocol = kb.protocols.get(condition)
    return [ph.id for ph in protocol.phases] if protocol else list(PHASES)
