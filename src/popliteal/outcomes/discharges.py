"""Discharge: each criterion checked against the episode of care with its before/after
summary, the discharge itself (it ends the care plan; with criteria unmet only with a reason),
and a person's discharges.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.rules import Actor
from popliteal.accounts.service import visible_patient
from popliteal.clock import utcnow
from popliteal.db import transaction
from popliteal.errors import AccountError, ProblemsError
from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes import discharge_rules, rules, schedule
from popliteal.outcomes._access import require_staff
from popliteal.outcomes.episode import Episode, episode_adherence, load_episode, scored_response
from popliteal.outcomes.models import Discharge
from popliteal.outcomes.questionnaires_due import due_read
from popliteal.outcomes.schemas import (
    CriterionRead,
    DischargeCheckRead,
    DischargeCreate,
    DischargeRead,
)
from popliteal.plans.models import CarePlan


class OutcomeError(AccountError):
    """A follow-up action that cannot be done as asked (the message is shown as is)."""


class DischargeRefused(ProblemsError):
    """Discharge criteria not met and no override reason given; each unmet criterion listed."""


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _summary(kb: Knowledge, ctx: Episode) -> dict[str, Any]:
    """Before/after per instrument scale, pain, range of motion and adherence of the episode."""
    instruments: list[dict[str, Any]] = []
    for instrument in rules.INSTRUMENTS:
        rows = [r for r in ctx.responses if r.instrument == instrument]
        if not rows:
            continue
        scales: dict[str, dict[str, Any]] = {}
        for r in rows:
            for scale, value in (r.scores or {}).get("scores", {}).items():
                if value is None:
                    continue
                entry = scales.setdefault(
                    scale, {"before": value, "before_on": r.local_date.isoformat()}
                )
                entry["after"] = value
                entry["after_on"] = r.local_date.isoformat()
        for scale, entry in scales.items():
            if entry["before_on"] == entry["after_on"]:
                entry["verdict"] = None
                continue
            try:
                change = rules.interpret_change(
                    instrument, scale, entry["before"], entry["after"], kb.outcomes
                )
            except ValueError:
                entry["verdict"] = None
                continue
            entry["verdict"] = change.verdict
            entry["mcid"] = change.mcid
        instruments.append({"instrument": instrument, "scales": scales})
    week = timedelta(days=6)
    first = [p.pain for p in ctx.pain if ctx.pain and p.day <= ctx.pain[0].day + week]
    last = [p.pain for p in ctx.pain if ctx.pain and p.day >= ctx.pain[-1].day - week]
    knees: dict[str, dict[str, Any]] = {}
    for m in ctx.rom:
        key = f"{m.side}{'' if m.affected else ' (other knee)'}"
        entry = knees.setdefault(
            key,
            {
                "side": m.side,
                "affected": m.affected,
                "first_on": m.measured_on.isoformat(),
                "first": {"flexion": m.flexion_deg, "extension": m.extension_deg},
            },
        )
        entry["latest_on"] = m.measured_on.isoformat()
        entry["latest"] = {"flexion": m.flexion_deg, "extension": m.extension_deg}
    adherence = episode_adherence(ctx, ctx.discharged_on or ctx.today)
    return {
        "care_start": ctx.baseline_on.isoformat() if ctx.baseline_on else None,
        "until": (ctx.discharged_on or ctx.today).isoformat(),
        "main_instrument": ctx.main,
        "instruments": instruments,
        "pain": {
            "first_week_mean": _mean(first),
            "last_week_mean": _mean(last),
            "first_on": ctx.pain[0].day.isoformat() if ctx.pain else None,
            "last_on": ctx.pain[-1].day.isoformat() if ctx.pain else None,
        },
        "range_of_motion": list(knees.values()),
        "adherence_percent": adherence,
        "sessions_done": len(ctx.done_days),
    }


def _criteria(kb: Knowledge, ctx: Episode) -> list[discharge_rules.Criterion]:
    return discharge_rules.discharge_criteria(
        kb,
        today=ctx.today,
        main=ctx.main,
        responses=[scored_response(r) for r in ctx.responses],
        pain=ctx.pain,
        rom=[
            discharge_rules.RomMeasure(
                day=m.measured_on,
                side=m.side,
                affected=m.affected,
                flexion=m.flexion_deg,
                extension=m.extension_deg,
            )
            for m in ctx.rom
        ],
        goal=ctx.goal,
        runs=ctx.runs,
    )


def _criterion_read(c: discharge_rules.Criterion) -> CriterionRead:
    return CriterionRead(**discharge_rules.criterion_to_json(c))


def discharge_check(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    now: datetime | None = None,
) -> DischargeCheckRead:
    """Each discharge criterion (met, not met, unknown, with its evidence) and the before/after
    summary (clinicians)."""
    with transaction(session):
        require_staff(actor)
        patient = visible_patient(session, actor, patient_id)
        ctx = load_episode(session, kb, patient, now or utcnow())
        criteria = _criteria(kb, ctx)
        discharge_due = [
            due_read(d)
            for d in schedule.due(
                ctx.today,
                ctx.baseline_on,
                {
                    i: [r.local_date for r in ctx.responses if r.instrument == i]
                    for i in ctx.instruments
                },
                ctx.interval_days,
                ctx.discharged_on or ctx.today,
                instruments=ctx.instruments,
                settings=kb.followup,
            )
        ]
        read = DischargeCheckRead(
            patient_id=patient.id,
            all_met=all(c.status == "met" for c in criteria),
            criteria=[_criterion_read(c) for c in criteria],
            summary=_summary(kb, ctx),
            due=discharge_due,
            discharged_on=ctx.discharged_on,
        )
        accounts_service.audit(
            session,
            actor=actor,
            action="read",
            entity="discharge",
            entity_id="*",
            patient_id=patient.id,
        )
    return read


def discharge(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    body: DischargeCreate,
    now: datetime | None = None,
) -> DischargeRead:
    """Discharge the person, ending their care plan; with criteria unmet only when the
    clinician gives a reason (DischargeRefused lists the unmet criteria otherwise)."""
    with transaction(session):
        require_staff(actor)
        patient = visible_patient(session, actor, patient_id)
        now = now or utcnow()
        ctx = load_episode(session, kb, patient, now)
        if ctx.discharged_on is not None:
            raise OutcomeError(
                f"already discharged on {ctx.discharged_on.isoformat()}; a new care plan starts a "
                "new episode"
            )
        day = body.discharged_on or ctx.today
        if day > ctx.today:
            raise OutcomeError("discharged_on: the date is in the future")
        if ctx.baseline_on is not None and day < ctx.baseline_on:
            raise OutcomeError("discharged_on: before the episode of care began")
        criteria = _criteria(kb, ctx)
        unmet = [c for c in criteria if c.status != "met"]
        reason = (body.override_reason or "").strip()
        if unmet and not reason:
            raise DischargeRefused(
                [f"{c.name}: {c.status.replace('_', ' ')}: {c.evidence}" for c in unmet]
                + ["give an override_reason to discharge anyway"]
            )
        row = Discharge(
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            discharged_on=day,
            discharged_by=actor.user_id,
            criteria=[discharge_rules.criterion_to_json(c) for c in criteria],
            summary=_summary(kb, ctx),
            note=body.note.strip(),
            overridden=bool(unmet),
            override_reason=reason if unmet else "",
            knowledge_version=kb.version,
            created_at=now,
        )
        session.add(row)
        for plan in session.scalars(
            select(CarePlan).where(CarePlan.patient_id == patient.id, CarePlan.status == "active")
        ):
            plan.status = "ended"
            plan.ended_at = now
        session.flush()
        accounts_service.audit(
            session,
            actor=actor,
            action="create",
            entity="discharge",
            entity_id=row.id,
            patient_id=patient.id,
            detail={"overridden": row.overridden, "unmet": [c.id for c in unmet]},
        )
        read = _discharge_read(row)
    return read


def _discharge_read(d: Discharge) -> DischargeRead:
    return DischargeRead(
        id=d.id,
        patient_id=d.patient_id,
        discharged_on=d.discharged_on,
        discharged_by=d.discharged_by,
        criteria=[CriterionRead(**c) for c in d.criteria],
        summary=dict(d.summary),
        note=d.note,
        overridden=d.overridden,
        override_reason=d.override_reason,
        created_at=d.created_at,
    )


def list_discharges(session: Session, *, actor: Actor, patient_id: int) -> list[DischargeRead]:
    """A person's discharges, newest first (their own, or staff of their clinic)."""
    with transaction(session):
        patient = visible_patient(session, actor, patient_id)
        rows = session.scalars(
            select(Discharge)
            .where(Discharge.patient_id == patient.id)
            .order_by(Discharge.discharged_on.desc(), Discharge.id.desc())
        ).all()
        reads = [_discharge_read(d) for d in rows]
        accounts_service.audit(
            session,
            actor=actor,
            action="read",
            entity="discharge",
            entity_id="*",
            patient_id=patient.id,
        )
    return reads
