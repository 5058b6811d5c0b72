"""Progression suggestions from the logs (progress, hold or regress each exercise and the
phase), and the next plan version with the clinician's approved ones applied.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.rules import Actor
from popliteal.accounts.service import visible_patient
from popliteal.db import reading, transaction
from popliteal.errors import NotAllowed
from popliteal.knowledge.loader import Knowledge
from popliteal.plans import progression
from popliteal.plans import rules as plan_rules
from popliteal.plans import service as plans_service
from popliteal.plans.schemas import LimitIn, PlanCreate, PlanVersionRead, PrescriptionIn
from popliteal.sessions._logs import active_plan, adherence_weeks, logs_since
from popliteal.sessions.service import SessionError, morning_pain


def suggestions(
    session: Session, *, kb: Knowledge, actor: Actor, patient_id: int, now: datetime | None = None
) -> progression.Suggestions | None:
    """Progress / hold / regress for each exercise and the phase (clinicians only)."""
    if not actor.is_staff:
        raise NotAllowed("only clinicians can do this")
    with transaction(session):
        patient = visible_patient(session, actor, patient_id)
        # Built from the person's session and pain logs: a read of them.
        accounts_service.audit(
            session,
            actor=actor,
            action="read",
            entity="progress_suggestions",
            entity_id=patient.id,
            patient_id=patient.id,
        )
        active = active_plan(session, patient.id)
        if active is None:
            return None
        plan, version = active
        day = plans_service.local_today(session, patient.clinic_id, now)
        logs = [s for s in logs_since(session, patient.id, version.starts_on) if s.status == "done"]
        mornings = morning_pain(session, patient.id, version.starts_on - timedelta(days=1))
        week = adherence_weeks(
            session, patient.id, version.exercises, version.starts_on, day, weeks=1
        )
        # Inside the read: the rollback expires the plan and logs, so reading them after it
        # would begin another transaction.
        return progression.suggest(
            kb,
            condition=plan.condition_id,
            phase=version.phase,
            exercises=version.exercises,
            criteria=version.progression_criteria,
            sessions=[
                progression.LoggedSession(
                    day=s.local_date,
                    pain_before=s.pain_before,
                    pain_after=s.pain_after,
                    entries=tuple(s.entries),
                )
                for s in logs
            ],
            mornings=mornings,
            starts_on=version.starts_on,
            today=day,
            adherence_percent=week[-1].percent if week else None,
            equipment=frozenset(version.equipment),
        )


def apply_suggestions(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    exercise_ids: list[str],
    phase: bool,
    now: datetime | None = None,
) -> PlanVersionRead:
    """Save the next plan version with the approved suggestions applied.

    A phase change takes the protocol's draft for the new phase (same goal, equipment and time);
    otherwise each approved exercise is swapped for its variant or given its new dose.
    """
    found = suggestions(session, kb=kb, actor=actor, patient_id=patient_id, now=now)
    with reading(session):
        active = active_plan(session, patient_id)
        if found is None or active is None:
            raise SessionError("there is no plan to change")
        plan, version = active
    if phase:
        target = found.phase.to_phase
        if target is None:
            raise SessionError("there is no phase change to approve")
        view = plans_service.draft_for_patient(
            session,
            kb=kb,
            actor=actor,
            patient_id=patient_id,
            request=plan_rules.DraftRequest(
                condition=plan.condition_id,
                goal=version.goal,  # type: ignore[arg-type]
                pain=version.pain,
                equipment=frozenset(version.equipment),
                minutes_per_day=version.minutes_per_day,
                phase=target,  # type: ignore[arg-type]
            ),
        )
        assert view.draft is not None  # noqa: S101 - a plan's condition always has a protocol
        spec = plans_service.spec_from_draft(view.draft, pain=version.pain)
        spec = spec.model_copy(
            update={
                "equipment": list(version.equipment),
                "minutes_per_day": version.minutes_per_day,
                "notes": version.notes,
                "change_summary": f"Moved to the {plans_service.PHASE_NAMES[target].lower()} "
                f"phase: {found.phase.reason}",
            }
        )
    else:
        by_id = {s.exercise_id: s for s in found.exercises if s.verdict != "hold"}
        chosen = [by_id[e] for e in exercise_ids if e in by_id]
        if not chosen:
            raise SessionError("choose at least one suggestion to approve")
        rows: list[PrescriptionIn] = []
        changes: list[str] = []
        for e in version.exercises:
            s = by_id.get(e["id"]) if e["id"] in exercise_ids else None
            base = {
                k: e.get(k) for k in ("sets", "reps", "hold_s", "minutes", "rest_s", "per_week")
            }
            if s is not None and s.replace_with:
                new = kb.exercises[s.replace_with]
                rows.append(PrescriptionIn(exercise_id=new.id, **_dose_for(new.dose, base)))
                changes.append(f"{e['name']} → {new.name} ({s.verdict})")
            elif s is not None and s.new_dose:
                dose = {k: s.new_dose.get(k) for k in base}
                rows.append(PrescriptionIn(exercise_id=e["id"], note=e.get("note", ""), **dose))
                changes.append(f"{e['name']}: {s.verdict} dose")
            else:
                rows.append(PrescriptionIn(exercise_id=e["id"], note=e.get("note", ""), **base))
        spec = PlanCreate(
            condition=plan.condition_id,
            phase=version.phase,
            goal=version.goal,
            pain=version.pain,
            equipment=list(version.equipment),
            minutes_per_day=version.minutes_per_day,
            exercises=rows,
            treatments=[t["id"] for t in version.treatments],
            activity_limits=[LimitIn(**lim) for lim in version.activity_limits],
            notes=version.notes,
            change_summary="Approved suggestions: " + "; ".join(changes),
        )
    return plans_service.save_plan(
        session, kb=kb, actor=actor, patient_id=patient_id, spec=spec, now=now
    )


def _dose_for(default: Any, base: dict[str, Any]) -> dict[str, Any]:
    """A swapped-in exercise keeps the old frequency but takes its own default amounts."""
    return {
        "sets": default.sets,
        "reps": default.reps,
        "hold_s": default.hold_s,
        "minutes": default.minutes,
        "rest_s": default.rest_s,
        "per_week": base.get("per_week") or default.per_week,
    }
