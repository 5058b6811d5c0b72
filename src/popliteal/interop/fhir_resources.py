"""One patient's episode as FHIR R4 resources (R4B models): the people and the clinic,
screenings (QuestionnaireResponse + RiskAssessment), the working diagnosis (Condition), plans
(CarePlan), appointments, and visit treatments (Procedure). Observations: fhir_observations.py.

Pure: records in (records.py), validated resource dicts out; time is passed in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.riskassessment import RiskAssessment

from popliteal.interop.fhir_base import (
    CONDITION_CATEGORY,
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    IDENTIFIER_SYSTEM,
    Ids,
    category,
    condition_concept,
    day,
    instant,
    validated,
)
from popliteal.interop.fhir_observations import observations
from popliteal.interop.questionnaire import outcome_response, screening_response
from popliteal.interop.records import (
    AppointmentRec,
    Episode,
    OrgRec,
    PatientRec,
    PlanRec,
    ScreeningRec,
    StaffRec,
    VisitRec,
)
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import Urgency
from popliteal.screening.differential import chance_to_show

PROFESSIONS = {"physical_therapist": "Physical therapist", "chiropractor": "Chiropractor"}
MODES = {"in_clinic": "In clinic", "virtual": "Video visit", "at_home": "Home visit"}


def organization(ids: Ids, org: OrgRec) -> dict[str, Any]:
    data: dict[str, Any] = {
        "resourceType": "Organization",
        "id": ids.id("Organization", org.id),
        "identifier": [{"system": f"{IDENTIFIER_SYSTEM}:clinic", "value": org.slug}],
        "active": True,
        "name": org.name,
    }
    if org.phone:
        data["telecom"] = [{"system": "phone", "value": org.phone, "use": "work"}]
    if org.address:
        data["address"] = [{"text": org.address}]
    return validated(Organization, data)


def practitioner(ids: Ids, staff: StaffRec) -> dict[str, Any]:
    data: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": ids.id("Practitioner", staff.id),
        "identifier": [{"system": f"{IDENTIFIER_SYSTEM}:staff", "value": str(staff.id)}],
        "active": True,
        "name": [{"text": staff.name}],
        "telecom": [{"system": "email", "value": staff.email, "use": "work"}],
    }
    if staff.profession in PROFESSIONS:
        data["qualification"] = [{"code": {"text": PROFESSIONS[staff.profession]}}]
    return validated(Practitioner, data)


def patient(ids: Ids, org: OrgRec, person: PatientRec) -> dict[str, Any]:
    telecom = [{"system": "email", "value": person.email, "use": "home"}] if person.email else []
    if person.phone:
        telecom.append({"system": "phone", "value": person.phone, "use": "mobile"})
    data: dict[str, Any] = {
        "resourceType": "Patient",
        "id": ids.id("Patient", person.id),
        "identifier": [{"system": f"{IDENTIFIER_SYSTEM}:patient", "value": str(person.id)}],
        "active": True,
        "name": [{"text": person.name}],
        "managingOrganization": ids.ref("Organization", org.id, org.name),
    }
    if telecom:
        data["telecom"] = telecom
    if person.birth_date is not None:
        data["birthDate"] = day(person.birth_date)
    if person.address:
        data["address"] = [{"text": person.address}]
    return validated(Patient, data)


def risk_assessments(kb: Knowledge, ids: Ids, ep: Episode, s: ScreeningRec) -> list[dict[str, Any]]:
    """Two assessments of a screening: the differential (each cause with its probability) and
    the urgency with the red-flag rules that set it. Both cite the answers they came from."""
    subject = ids.ref("Patient", ep.patient.id)
    basis = [ids.ref("QuestionnaireResponse", f"screening-{s.id}")]
    performer = (
        {"performer": ids.ref("Practitioner", s.entered_by)} if s.entered_by in ep.staff else {}
    )
    method = {"text": f"popliteal screening engine, knowledge version {s.knowledge_version}"}
    predictions = [
        {
            "outcome": condition_concept(kb, str(c["id"])),
            "probabilityDecimal": round(chance_to_show(c), 6),
        }
        for c in s.result.get("conditions", [])
        if "id" in c and "probability" in c
    ]
    differential: dict[str, Any] = {
        "resourceType": "RiskAssessment",
        "id": ids.id("RiskAssessment", f"differential-{s.id}"),
        "status": "final",
        "method": method,
        "code": {"text": "Differential diagnosis of pain behind the knee"},
        "subject": subject,
        "occurrenceDateTime": instant(s.created_at),
        "basis": basis,
        **performer,
    }
    if predictions:
        differential["prediction"] = predictions
    urgency = str(s.result.get("urgency") or "conservative")
    label = Urgency(urgency).label if urgency in set(Urgency) else urgency
    titles = {r.id: r.title for r in kb.rules}
    fired = [
        f"{titles.get(str(f['id']), f['id'])} ({f.get('urgency')}; because: "
        f"{', '.join(str(b) for b in f.get('because', []))})"
        for f in s.result.get("red_flags", [])
    ]
    triage: dict[str, Any] = {
        "resourceType": "RiskAssessment",
        "id": ids.id("RiskAssessment", f"urgency-{s.id}"),
        "status": "final",
        "method": method,
        "code": {"text": "Care urgency (red-flag rules)"},
        "subject": subject,
        "occurrenceDateTime": instant(s.created_at),
        "basis": basis,
        "prediction": [
            {
                "outcome": {"text": label},
                "rationale": "; ".join(fired) if fired else "No red-flag rule fired.",
            }
        ],
        **performer,
    }
    if fired:
        triage["note"] = [{"text": line} for line in fired]
    return [validated(RiskAssessment, differential), validated(RiskAssessment, triage)]


def conditions(kb: Knowledge, ids: Ids, ep: Episode) -> list[dict[str, Any]]:
    """The working diagnosis and each condition a plan treats: one Condition per condition id,
    provisional (a clinician's working diagnosis, not a confirmed one), resolved once the
    person was discharged with no plan still running."""
    seen: dict[str, dict[str, Any]] = {}
    p = ep.patient
    active_plan = any(plan.status == "active" for plan in ep.plans)
    clinical = "resolved" if ep.discharged and not active_plan else "active"
    wanted: list[tuple[str, datetime | None, int | None, str]] = []
    if p.working_diagnosis:
        wanted.append(
            (p.working_diagnosis, p.working_diagnosis_at, p.working_diagnosis_by, "working")
        )
    for plan in ep.plans:
        wanted.append((plan.condition_id, plan.created_at, plan.versions[0].created_by, "plan"))
    for cid, at, by, why in wanted:
        if cid in seen:
            continue
        data: dict[str, Any] = {
            "resourceType": "Condition",
            "id": ids.id("Condition", cid),
            "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": clinical}]},
            "verificationStatus": {
                "coding": [{"system": CONDITION_VERIFICATION, "code": "provisional"}]
            },
            "category": category(CONDITION_CATEGORY, "problem-list-item", "Problem List Item"),
            "code": condition_concept(kb, cid),
            "bodySite": [{"text": "Back of the knee (popliteal region)"}],
            "subject": ids.ref("Patient", p.id),
        }
        if at is not None:
            data["recordedDate"] = instant(at)
        if by in ep.staff:
            data["recorder"] = ids.ref("Practitioner", by)
        if why == "working" and p.working_diagnosis_note:
            data["note"] = [{"text": p.working_diagnosis_note}]
        seen[cid] = validated(Condition, data)
    return list(seen.values())


def _dose(e: dict[str, Any]) -> str:
    parts = []
    if e.get("sets"):
        what = f"{e['reps']} reps" if e.get("reps") else ""
        what = what or (f"{e['hold_s']} s hold" if e.get("hold_s") else "")
        parts.append(f"{e['sets']} sets" + (f" of {what}" if what else ""))
    if e.get("minutes"):
        parts.append(f"{e['minutes']} min")
    if e.get("per_week"):
        parts.append(f"{e['per_week']} days a week")
    return ", ".join(parts)


def care_plans(kb: Knowledge, ids: Ids, ep: Episode, plan: PlanRec) -> list[dict[str, Any]]:
    """One CarePlan per plan version (a phase of care): home exercises and in-clinic
    treatments as activities; each later version `replaces` the one before."""
    out = []
    versions = sorted(plan.versions, key=lambda v: v.number)
    for i, v in enumerate(versions):
        current = plan.status == "active" and v.number == plan.current_version
        ends: str | None
        if i + 1 < len(versions):
            ends = versions[i + 1].starts_on.isoformat()
        else:
            ends = plan.ended_at.isoformat() if plan.ended_at is not None else None
        status = "active" if current else "completed"
        activity_status = "in-progress" if current else "completed"
        activities: list[dict[str, Any]] = [
            {
                "detail": {
                    "kind": "ServiceRequest",
                    "code": {"text": f"Home exercise: {e.get('name') or e.get('id')}"},
                    "status": activity_status,
                    "description": _dose(e) or "As prescribed",
                }
            }
            for e in v.exercises
        ]
        for t in v.treatments:
            tid = str(t.get("id"))
            name = kb.treatments[tid].name if tid in kb.treatments else str(t.get("name", tid))
            detail: dict[str, Any] = {
                "kind": "ServiceRequest",
                "code": {"text": f"In-clinic treatment: {name}"},
                "status": activity_status,
            }
            if t.get("note"):
                detail["description"] = str(t["note"])
            activities.append({"detail": detail})
        phase = v.phase.replace("_", " ")
        data: dict[str, Any] = {
            "resourceType": "CarePlan",
            "id": ids.id("CarePlan", f"{plan.id}-v{v.number}"),
            "status": status,
            "intent": "plan",
            "title": f"Phase: {phase} (plan version {v.number})",
            "description": f"Goal: {v.goal.replace('_', ' ')}",
            "subject": ids.ref("Patient", ep.patient.id),
            "period": {"start": v.starts_on.isoformat(), **({"end": ends} if ends else {})},
            "created": instant(plan.created_at),
            "addresses": [ids.ref("Condition", plan.condition_id)],
        }
        if v.created_by in ep.staff:
            data["author"] = ids.ref("Practitioner", v.created_by)
        if i > 0:
            data["replaces"] = [ids.ref("CarePlan", f"{plan.id}-v{versions[i - 1].number}")]
        if activities:
            data["activity"] = activities
        out.append(validated(CarePlan, data))
    return out


def appointment(ids: Ids, ep: Episode, a: AppointmentRec, now: datetime) -> dict[str, Any]:
    """A visit; a booked one in the past is `fulfilled` (the record keeps no show/no-show)."""
    if a.status == "cancelled":
        status = "cancelled"
    else:
        status = "booked" if a.starts_at > now else "fulfilled"
    participants = [
        {"actor": ids.ref("Patient", ep.patient.id), "status": "accepted", "required": "required"}
    ]
    if a.clinician_id in ep.staff:
        participants.append(
            {
                "actor": ids.ref("Practitioner", a.clinician_id),
                "status": "accepted",
                "required": "required",
            }
        )
    data = {
        "resourceType": "Appointment",
        "id": ids.id("Appointment", a.id),
        "status": status,
        "appointmentType": {"text": a.type_name},
        "description": f"{a.type_name} ({MODES.get(a.mode, a.mode)})",
        "start": instant(a.starts_at),
        "end": instant(a.ends_at),
        "minutesDuration": max(1, int((a.ends_at - a.starts_at).total_seconds() // 60)),
        "participant": participants,
    }
    return validated(Appointment, data)


def procedures(kb: Knowledge, ids: Ids, ep: Episode, v: VisitRec) -> list[dict[str, Any]]:
    """Each treatment given at a visit; joint mobilization carries its grade (I to V)."""
    out = []
    for n, t in enumerate(v.treatments):
        tid = str(t.get("id"))
        name = kb.treatments[tid].name if tid in kb.treatments else tid
        text = f"{name}, grade {t['grade']}" if t.get("grade") else name
        data: dict[str, Any] = {
            "resourceType": "Procedure",
            "id": ids.id("Procedure", f"{v.id}-{n}"),
            "status": "completed",
            "code": {"text": text},
            "subject": ids.ref("Patient", ep.patient.id),
            "performedDateTime": day(v.visit_date),
            "bodySite": [{"text": "Knee"}],
        }
        if v.clinician_id in ep.staff:
            data["performer"] = [{"actor": ids.ref("Practitioner", v.clinician_id)}]
        if t.get("detail"):
            data["note"] = [{"text": str(t["detail"])}]
        out.append(validated(Procedure, data))
    return out


def episode_resources(kb: Knowledge, ep: Episode, now: datetime) -> list[dict[str, Any]]:
    """Every resource of one patient's episode, except the organization and practitioners
    (shared by a clinic's patients: the bundle adds them once)."""
    ids = Ids(ep.org.slug)
    out = [patient(ids, ep.org, ep.patient)]
    for s in ep.screenings:
        out.append(screening_response(kb, ids, ep, s))
        out += risk_assessments(kb, ids, ep, s)
    out += [outcome_response(kb, ids, ep, r) for r in ep.responses]
    out += conditions(kb, ids, ep)
    for plan in ep.plans:
        out += care_plans(kb, ids, ep, plan)
    out += [appointment(ids, ep, a, now) for a in ep.appointments]
    for v in ep.visits:
        out += procedures(kb, ids, ep, v)
    out += observations(kb, ids, ep)
    return out
