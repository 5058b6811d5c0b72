"""Visit notes for clinicians: the list, a SOAP form tied to the visit, and amending a note.

Only the note's author may amend it; colleagues see it read-only. Visits that have started
without a note are offered first, so none is forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from popliteal.accounts import service as accounts_service
from popliteal.accounts.deps import CurrentClinician, page_router
from popliteal.accounts.models import Clinic, Patient, User
from popliteal.booking.models import Appointment, AppointmentType
from popliteal.clock import local_date, local_today
from popliteal.errors import AccountError
from popliteal.knowledge.loader import Knowledge
from popliteal.sessions import visit_notes
from popliteal.sessions.schemas import TreatmentGiven, VisitNoteCreate, VisitNoteRead
from popliteal.sessions.visit_notes import VisitNoteProblems
from popliteal.web.deps import DbSession, Kb, RowId
from popliteal.web.forms import parse_iso_date, plain_digits
from popliteal.web.templating import local_time, render

router = page_router("staff")

# Hands-on and advice treatments first, in the order clinicians reach for them.
FIRST = (
    "joint_mobilization",
    "myofascial_release",
    "chiropractic_adjustment",
    "ice",
    "education_load_management",
    "stretching",
    "strengthening",
    "therapeutic_exercise",
)
# Services, not something given at a visit.
NOT_A_VISIT_TREATMENT = {"free_screening", "individualized_plan", "virtual_therapy", "at_home_care"}
GRADES = ("I", "II", "III", "IV", "V")
VISIT_MODE_NAMES = {"in_clinic": "In the clinic", "virtual": "Video call", "at_home": "At home"}
TEXT_FIELDS = {"subjective": 4000, "objective": 4000, "assessment": 4000, "plan": 4000}


def note_treatments(kb: Knowledge) -> list[tuple[str, str]]:
    """The treatments a visit note may record, as (id, name)."""
    ids = [t for t in FIRST if t in kb.treatments]
    ids += [t for t in kb.treatments if t not in ids and t not in NOT_A_VISIT_TREATMENT]
    return [(t, kb.treatments[t].name) for t in ids]


def _timezone(session: Session, patient: Patient) -> str:
    clinic = session.get(Clinic, patient.clinic_id)
    return clinic.timezone if clinic else "UTC"


def appointment_info(session: Session, appt: Appointment, tz: str) -> dict[str, Any]:
    """How a visit is shown: when (clinic time), what, how and with whom."""
    kind = session.get(AppointmentType, appt.type_id)
    clinician = session.get(User, appt.clinician_id)
    return {
        "id": appt.id,
        "when": local_time(appt.starts_at, tz),
        "type_name": kind.name if kind else "Visit",
        "mode": appt.mode,
        "mode_name": VISIT_MODE_NAMES.get(appt.mode, appt.mode),
        "clinician_name": clinician.display_name if clinician else "",
        "date": local_date(appt.starts_at, tz),
    }


# ------------------------------------------------------------------ the form


@dataclass
class NoteForm:
    """The SOAP form as typed (strings), so a problem sends it back unchanged."""

    appointment_id: int | None = None
    mode: str = "in_clinic"
    visit_date: str = ""
    subjective: str = ""
    objective: str = ""
    assessment: str = ""
    plan: str = ""
    pain: str = ""
    given: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> grade, detail


def form_from_note(note: VisitNoteRead) -> NoteForm:
    return NoteForm(
        appointment_id=note.appointment_id,
        mode=note.mode,
        visit_date=note.visit_date.isoformat(),
        subjective=note.subjective,
        objective=note.objective,
        assessment=note.assessment,
        plan=note.plan,
        pain="" if note.pain is None else str(note.pain),
        given={
            str(t["id"]): {"grade": str(t.get("grade") or ""), "detail": str(t.get("detail") or "")}
            for t in note.treatments
        },
    )


def _clip(value: Any, n: int) -> str:
    return value[:n] if isinstance(value, str) else ""


def form_from_post(form: FormData, appointment_id: int | None) -> NoteForm:
    given: dict[str, dict[str, str]] = {}
    for tid in form.getlist("treatment")[:20]:
        tid = _clip(tid, 80)
        if tid:
            given[tid] = {
                "grade": _clip(form.get(f"grade-{tid}"), 4),
                "detail": _clip(form.get(f"detail-{tid}"), 300).strip(),
            }
    return NoteForm(
        appointment_id=appointment_id,
        mode=_clip(form.get("mode"), 20) or "in_clinic",
        visit_date=_clip(form.get("visit_date"), 20).strip(),
        pain=_clip(form.get("pain"), 10).strip(),
        given=given,
        **{k: _clip(form.get(k), n) for k, n in TEXT_FIELDS.items()},
    )


def to_body(kb: Knowledge, f: NoteForm) -> tuple[VisitNoteCreate | None, list[str]]:
    """The note to save, or the problems with the form in plain words."""
    problems: list[str] = []
    pain: int | None = None
    if f.pain:
        if plain_digits(f.pain) and 0 <= int(f.pain) <= 10:
            pain = int(f.pain)
        else:
            problems.append("Pain: choose a number from 0 to 10.")
    visit_day: date | None = None
    if f.appointment_id is None and f.visit_date:
        visit_day = parse_iso_date(f.visit_date)
        if visit_day is None:
            problems.append("Visit date: enter a date like 2026-03-14.")
    treatments = []
    for tid, extra in f.given.items():
        name = kb.treatments[tid].name if tid in kb.treatments else tid
        grade = extra.get("grade") or None
        if tid != visit_notes.NEEDS_GRADE:
            grade = None  # only joint mobilization has a grade select
        elif grade is not None and grade not in GRADES:
            problems.append(f"{name}: choose a grade from I to V.")
            continue
        try:
            treatments.append(TreatmentGiven(id=tid, detail=extra.get("detail", ""), grade=grade))
        except ValidationError:
            problems.append(f"{name}: this treatment cannot be recorded as sent.")
    if problems:
        return None, problems
    try:
        body = VisitNoteCreate(
            appointment_id=f.appointment_id,
            mode=f.mode,
            visit_date=visit_day,
            subjective=f.subjective,
            objective=f.objective,
            assessment=f.assessment,
            plan=f.plan,
            treatments=treatments,
            pain=pain,
        )
    except ValidationError as exc:
        return None, [
            f"{' '.join(str(x) for x in e['loc']).replace('_', ' ').capitalize()}: {e['msg']}"
            for e in exc.errors()
        ]
    return body, []


async def note_form_data(request: Request) -> FormData:
    """The posted note form (the CSRF check has already read it)."""
    return await request.form(max_fields=200)


NoteFormData = Annotated[FormData, Depends(note_form_data)]
AppointmentQuery = Annotated[int | None, Query(ge=1, le=2_147_483_647)]


def _note_page(
    request: Request,
    session: Session,
    kb: Knowledge,
    patient: Patient,
    f: NoteForm,
    *,
    note: VisitNoteRead | None = None,
    problems: list[str] | None = None,
    read_only: str = "",
    status: int = 200,
) -> Response:
    tz = _timezone(session, patient)
    appt = None
    if f.appointment_id is not None:
        found = session.get(Appointment, f.appointment_id)
        if found is not None and found.patient_id == patient.id:
            appt = appointment_info(session, found, tz)
    ctx = {
        "patient": patient,
        # the note's URL (/staff/visit-notes/{id}/edit) does not name the person: base.html's
        # patient header is told whose note this is
        "header_patient_id": patient.id,
        "f": f,
        "note": note,
        "appointment": appt,
        "problems": problems or [],
        "read_only": read_only,
        "treatments": note_treatments(kb),
        "needs_grade": visit_notes.NEEDS_GRADE,
        "grades": GRADES,
        "modes": VISIT_MODE_NAMES,
        "timezone": tz,
    }
    return render(request, "sessions_staff_note.html", ctx, status)


# ------------------------------------------------------------------ routes


@router.get(
    "/staff/patients/{patient_id}/notes", response_class=HTMLResponse, include_in_schema=False
)
def read_visit_notes(
    patient_id: RowId, request: Request, session: DbSession, kb: Kb, actor: CurrentClinician
) -> Response:
    """List the patient's visit notes, newest first, after the visits still without a note."""
    patient = accounts_service.get_patient(session, actor=actor, patient_id=patient_id)
    notes = visit_notes.list_notes(session, kb=kb, actor=actor, patient_id=patient_id)
    missing = visit_notes.visits_without_note(session, actor=actor, patient_id=patient_id)
    tz = _timezone(session, patient)
    saved = request.query_params.get("saved", "")
    ctx = {
        "patient": patient,
        "notes": notes,
        "missing": [appointment_info(session, a, tz) for a in missing],
        "appointments": {
            n.appointment_id: appointment_info(session, a, tz)
            for n in notes
            if n.appointment_id is not None
            and (a := session.get(Appointment, n.appointment_id)) is not None
        },
        "modes": VISIT_MODE_NAMES,
        "me": actor.user_id,
        "saved": int(saved) if plain_digits(saved) and len(saved) < 10 else None,
        "timezone": tz,
    }
    return render(request, "sessions_staff_notes.html", ctx)


@router.get(
    "/staff/patients/{patient_id}/notes/new", response_class=HTMLResponse, include_in_schema=False
)
def read_new_visit_note(
    patient_id: RowId,
    request: Request,
    session: DbSession,
    kb: Kb,
    actor: CurrentClinician,
    appointment_id: AppointmentQuery = None,
) -> Response:
    """Show an empty SOAP note form, tied to the visit when one is given."""
    patient = accounts_service.get_patient(session, actor=actor, patient_id=patient_id)
    f = NoteForm(appointment_id=appointment_id)
    if appointment_id is not None:
        appt = session.get(Appointment, appointment_id)
        if appt is None or appt.patient_id != patient.id:
            raise HTTPException(404, "no such visit for this person")
        f.mode = appt.mode
    else:
        f.visit_date = local_today(_timezone(session, patient)).isoformat()
    return _note_page(request, session, kb, patient, f)


@router.post(
    "/staff/patients/{patient_id}/notes/new", response_class=HTMLResponse, include_in_schema=False
)
def create_visit_note(
    patient_id: RowId,
    request: Request,
    session: DbSession,
    kb: Kb,
    actor: CurrentClinician,
    form: NoteFormData,
    appointment_id: AppointmentQuery = None,
) -> Response:
    """Save the visit note; problems come back on the form."""
    patient = accounts_service.get_patient(session, actor=actor, patient_id=patient_id)
    posted = _clip(form.get("appointment_id"), 12)
    if plain_digits(posted) and 0 < int(posted) <= 2_147_483_647:
        appointment_id = int(posted)
    f = form_from_post(form, appointment_id)
    body, problems = to_body(kb, f)
    if body is not None:
        try:
            note = visit_notes.create_note(
                session,
                kb=kb,
                actor=actor,
                patient_id=patient_id,
                body=body,
            )
        except VisitNoteProblems as exc:
            problems = exc.problems
        except AccountError as exc:
            problems = [str(exc)]
        else:
            return RedirectResponse(
                f"/staff/patients/{patient_id}/notes?saved={note.id}#note-{note.id}",
                status_code=303,
            )
    problems = [p[:1].upper() + p[1:] for p in problems]
    return _note_page(request, session, kb, patient, f, problems=problems, status=400)


def _author_only(note: VisitNoteRead) -> str:
    who = note.clinician_name or "the clinician who wrote it"
    return f"Only {who}, who wrote this note, can amend it. You can read it here."


@router.get(
    "/staff/visit-notes/{note_id}/edit", response_class=HTMLResponse, include_in_schema=False
)
def read_visit_note_edit(
    note_id: RowId, request: Request, session: DbSession, kb: Kb, actor: CurrentClinician
) -> Response:
    """Show the note to amend (its author), or read-only (colleagues)."""
    note = visit_notes.get_note(session, kb=kb, actor=actor, note_id=note_id)
    patient = accounts_service.get_patient(session, actor=actor, patient_id=note.patient_id)
    read_only = "" if note.clinician_id == actor.user_id else _author_only(note)
    return _note_page(
        request, session, kb, patient, form_from_note(note), note=note, read_only=read_only
    )


@router.post(
    "/staff/visit-notes/{note_id}/edit", response_class=HTMLResponse, include_in_schema=False
)
def update_visit_note(
    note_id: RowId,
    request: Request,
    session: DbSession,
    kb: Kb,
    actor: CurrentClinician,
    form: NoteFormData,
) -> Response:
    """Save the amended note (its author only); problems come back on the form."""
    note = visit_notes.get_note(session, kb=kb, actor=actor, note_id=note_id)
    patient = accounts_service.get_patient(session, actor=actor, patient_id=note.patient_id)
    if note.clinician_id != actor.user_id:
        return _note_page(
            request,
            session,
            kb,
            patient,
            form_from_note(note),
            note=note,
            read_only=_author_only(note),
            status=403,
        )
    f = form_from_post(form, note.appointment_id)
    body, problems = to_body(kb, f)
    if body is not None:
        try:
            saved = visit_notes.update_note(
                session,
                kb=kb,
                actor=actor,
                note_id=note_id,
                body=body,
            )
        except VisitNoteProblems as exc:
            problems = exc.problems
        except AccountError as exc:
            problems = [str(exc)]
        else:
            return RedirectResponse(
                f"/staff/patients/{saved.patient_id}/notes?saved={saved.id}#note-{saved.id}",
                status_code=303,
            )
    problems = [p[:1].upper() + p[1:] for p in problems]
    return _note_page(request, session, kb, patient, f, note=note, problems=problems, status=400)
