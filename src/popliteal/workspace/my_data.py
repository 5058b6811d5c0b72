""" "My data": everything popliteal holds about the signed-in person, as one zip file.

The zip is written to a temporary file, one table at a time and row by row (`yield_per`), so a
long history never sits in memory whole; the route streams the file and deletes it. Only the
person's own rows are read (every query filters on their patient id, or their account for the
profile). The download is one audit event ("export"); the plan handout read is its own.

Visit notes are included in full: under the HIPAA Privacy Rule's right of access (45 CFR
164.524) a person may have a copy of the records used to make decisions about them, and the
only exclusions (psychotherapy notes kept apart from the record, and material gathered for a
lawsuit) are not things popliteal stores. Alerts about the person are included with the
clinician's reason and resolution note for the same reason.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from popliteal import clock
from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Clinic, Patient, User
from popliteal.accounts.rules import Actor
from popliteal.alerts.models import OutcomeAlert
from popliteal.booking.models import Appointment, AppointmentType
from popliteal.db import reading, transaction
from popliteal.errors import NotAllowed
from popliteal.interop import service as interop_service
from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes import discharge_pdf
from popliteal.outcomes.models import Discharge, QuestionnaireResponse, RangeOfMotion
from popliteal.plans import service as plans_service
from popliteal.plans.handout import render_handout
from popliteal.plans.models import CarePlan, CarePlanVersion
from popliteal.running.models import Activity
from popliteal.screening import exam_layout
from popliteal.screening import service as screening_service
from popliteal.screening.engine import question_text
from popliteal.screening.models import ExamFinding, Screening
from popliteal.sessions.models import PainLog, SessionLog, VisitNote

FOLDER = "my-data"
ROWS_PER_FETCH = 200

README = """\
Your data from {clinic}
Made on {today}.

This file holds everything we keep about you. You can open the .json files with any text
editor. The .pdf files are easy to read and print.

What is inside:
- profile.json: your name, e-mail, phone, address and date of birth.
- screenings.json: each knee check you did, with every question, your answer and the result.
- exam_findings.json: what your clinician found when they examined you.
- appointments.json: your visits, past and planned.
- plans.json: your exercise plans, with every change your clinician made.
- home_sessions.json: the exercise sessions you logged.
- pain_logs.json: the pain scores you logged.
- runs.json: the runs and other workouts you logged.
- questionnaires.json: the forms you filled in about your knee, with their scores.
- knee_measurements.json: how far your knee bends and straightens, as measured.
- alerts.json: warnings about you that your clinic was asked to look at.
- visit_notes.json: your clinician's notes from each visit.
- discharges.json: the summary made when your care ended.
- home-programme.pdf: your current exercise plan, ready to print (if you have one).
- discharge-summary-*.pdf: each end-of-care summary (if you have one).
- fhir_bundle.json: all of the above in the standard form health record systems read (FHIR),
  so another clinic can load it.

Times ending in "Z" or "+00:00" are in UTC. Dates are your clinic's dates.

Is something wrong or missing? Ask your clinic to fix it. You can also delete your account
on the "My account" page. Your clinic must keep visit notes for some years by law; the page
explains this.
"""


@dataclass(frozen=True)
class ExportPart:
    """One more file in the zip, made by another part of the app (for example the FHIR
    bundle): its name inside the my-data folder and its bytes."""

    name: str
    data: bytes


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _columns(row: Any, *, leave_out: Sequence[str] = ()) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in leave_out}


def _write_json_list(out: IO[bytes], items: Iterable[dict[str, Any]]) -> int:
    """Write `items` as a JSON list, one item at a time; how many were written."""
    count = 0
    out.write(b"[")
    for item in items:
        out.write(b"\n  " if count == 0 else b",\n  ")
        out.write(json.dumps(item, default=_plain, ensure_ascii=False).encode())
        count += 1
    out.write(b"\n]\n" if count else b"]\n")
    return count


def _rows(session: Session, query: Select[Any]) -> Iterator[Any]:
    yield from session.scalars(query.execution_options(yield_per=ROWS_PER_FETCH))


@dataclass
class _Names:
    """Staff names by user id, read once each."""

    session: Session
    found: dict[int, str]

    def __call__(self, user_id: int | None) -> str:
        if user_id is None:
            return ""
        if user_id not in self.found:
            user = self.session.get(User, user_id)
            self.found[user_id] = user.display_name if user is not None else ""
        return self.found[user_id]


def _sections(
    session: Session, kb: Knowledge, patient: Patient, user: User, clinic: Clinic
) -> list[tuple[str, Callable[[], Iterable[dict[str, Any]]]]]:
    """Each JSON file's name and the rows it holds (read lazily, in the export's transaction)."""
    pid = patient.id
    names = _Names(session, {})
    tz = clinic.timezone

    def profile() -> Iterator[dict[str, Any]]:
        yield {
            "full_name": patient.full_name,
            "email": user.email,
            "phone": patient.phone,
            "address": patient.address,
            "date_of_birth": patient.date_of_birth,
            "distance_unit": patient.distance_unit,
            "clinic": clinic.name,
            "account_created_at": user.created_at,
            "working_diagnosis": patient.working_diagnosis,
            "working_diagnosis_name": (
                kb.conditions[patient.working_diagnosis].name
                if patient.working_diagnosis in kb.conditions
                else None
            ),
            "working_diagnosis_note": patient.working_diagnosis_note,
            "working_diagnosis_by": names(patient.working_diagnosis_by),
            "working_diagnosis_at": patient.working_diagnosis_at,
        }

    def screenings() -> Iterator[dict[str, Any]]:
        query = select(Screening).where(Screening.patient_id == pid).order_by(Screening.created_at)
        for s in _rows(session, query):
            role = "clinician" if s.role == "clinician" else "patient"
            yield {
                **_columns(s, leave_out=("token_hash", "history", "answers", "result")),
                "answers": [
                    {
                        "question": question_text(kb, fid, role) if fid in kb.findings else fid,
                        "answer": exam_layout.answer_text(kb, fid, value),
                        "finding": fid,
                        "value": value,
                    }
                    for fid, value in screening_service.answers_in_order(s)
                ],
                "result": s.result,
            }

    def exam_findings() -> Iterator[dict[str, Any]]:
        query = select(ExamFinding).where(ExamFinding.patient_id == pid).order_by(ExamFinding.id)
        for f in _rows(session, query):
            yield {
                **_columns(f),
                "question": question_text(kb, f.finding_id, "clinician")
                if f.finding_id in kb.findings
                else f.finding_id,
                "answer": exam_layout.answer_text(kb, f.finding_id, f.value),
                "recorded_by_name": names(f.recorded_by),
            }

    def appointments() -> Iterator[dict[str, Any]]:
        query = (
            select(Appointment, AppointmentType)
            .join(AppointmentType, AppointmentType.id == Appointment.type_id)
            .where(Appointment.patient_id == pid)
            .order_by(Appointment.starts_at)
        )
        for a, kind in session.execute(query.execution_options(yield_per=ROWS_PER_FETCH)):
            yield {
                **_columns(a, leave_out=("sequence",)),
                "type": kind.name,
                "starts_local": clock.local_time(a.starts_at, tz),
                "clinician_name": names(a.clinician_id),
            }

    def plans() -> Iterator[dict[str, Any]]:
        query = select(CarePlan).where(CarePlan.patient_id == pid).order_by(CarePlan.id)
        for plan in list(_rows(session, query)):
            versions = session.scalars(
                select(CarePlanVersion)
                .where(CarePlanVersion.plan_id == plan.id)
                .order_by(CarePlanVersion.number)
            )
            yield {
                **_columns(plan),
                "created_by_name": names(plan.created_by),
                "versions": [_columns(v) for v in versions],
            }

    def simple(model: Any, order: Any) -> Callable[[], Iterator[dict[str, Any]]]:
        def rows() -> Iterator[dict[str, Any]]:
            for row in _rows(session, select(model).where(model.patient_id == pid).order_by(order)):
                yield _columns(row)

        return rows

    def visit_notes() -> Iterator[dict[str, Any]]:
        query = select(VisitNote).where(VisitNote.patient_id == pid).order_by(VisitNote.visit_date)
        for note in _rows(session, query):
            yield {**_columns(note), "clinician_name": names(note.clinician_id)}

    return [
        ("profile.json", profile),
        ("screenings.json", screenings),
        ("exam_findings.json", exam_findings),
        ("appointments.json", appointments),
        ("plans.json", plans),
        ("home_sessions.json", simple(SessionLog, SessionLog.started_at)),
        ("pain_logs.json", simple(PainLog, PainLog.recorded_at)),
        ("runs.json", simple(Activity, Activity.local_date)),
        ("questionnaires.json", simple(QuestionnaireResponse, QuestionnaireResponse.submitted_at)),
        ("knee_measurements.json", simple(RangeOfMotion, RangeOfMotion.measured_on)),
        ("alerts.json", simple(OutcomeAlert, OutcomeAlert.created_at)),
        ("visit_notes.json", visit_notes),
        ("discharges.json", simple(Discharge, Discharge.discharged_on)),
    ]


@dataclass(frozen=True)
class Export:
    """The zip on disk (the caller deletes it) and the name to download it as."""

    path: Path
    filename: str
    counts: dict[str, int]


def _pdfs(
    session: Session, *, kb: Knowledge, actor: Actor, patient_id: int, emergency_number: str
) -> list[ExportPart]:
    """The printable plan and end-of-care summaries, rendered after the data is read (no
    transaction is held while WeasyPrint works)."""
    parts: list[ExportPart] = []
    plan = plans_service.current_plan(session, kb=kb, actor=actor, patient_id=patient_id)
    with reading(session):
        patient = session.get(Patient, patient_id)
        clinic = session.get(Clinic, patient.clinic_id) if patient else None
        if patient is None or clinic is None:
            return parts
        today = plans_service.local_today(session, clinic.id)
        stored = list(
            session.scalars(
                select(Discharge)
                .where(Discharge.patient_id == patient_id)
                .order_by(Discharge.discharged_on, Discharge.id)
            )
        )
        contexts = []
        for d in stored:
            by = session.get(User, d.discharged_by)
            contexts.append(
                discharge_pdf.summary_context(
                    kb,
                    patient=patient,
                    clinic=clinic,
                    discharge=d,
                    check=None,
                    by_name=by.display_name if by else "",
                    today=today,
                )
            )
        session.expunge(clinic)  # keep its loaded fields: the rollback would expire them
        name = patient.full_name
    if plan is not None:
        pdf = render_handout(
            kb=kb,
            plan=plan,
            clinic=clinic,
            patient_name=name,
            today=today,
            emergency_number=emergency_number,
        )
        parts.append(ExportPart("home-programme.pdf", pdf))
    for number, ctx in enumerate(contexts, start=1):
        pdf = discharge_pdf.render_summary(ctx)
        parts.append(ExportPart(f"discharge-summary-{number}.pdf", pdf))
    return parts


def export_my_data(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    emergency_number: str,
    extra_parts: Sequence[ExportPart] = (),
) -> Export:
    """Write the signed-in person's data to a zip in a temporary file; audited as one export.

    `extra_parts` are more files for the zip made elsewhere (`extra_parts_for`: the FHIR
    bundle)."""
    patient_id = actor.own_patient_id
    fd, name = tempfile.mkstemp(prefix="popliteal-my-data-", suffix=".zip")
    os.close(fd)
    path = Path(name)
    try:
        counts: dict[str, int] = {}
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            with transaction(session):
                patient = accounts_service.get_patient(session, actor=actor, patient_id=patient_id)
                user = session.get(User, patient.user_id)
                clinic = session.get(Clinic, patient.clinic_id)
                if user is None or clinic is None:  # foreign keys: never
                    raise NotAllowed("no such patient")
                today = clock.local_today(clinic.timezone)
                for filename, rows in _sections(session, kb, patient, user, clinic):
                    with zf.open(f"{FOLDER}/{filename}", "w") as out:
                        counts[filename] = _write_json_list(out, rows())
                accounts_service.audit(
                    session,
                    actor=actor,
                    action="export",
                    entity="patient",
                    entity_id=patient.id,
                    patient_id=patient.id,
                    detail={"format": "zip"},
                )
                made_on = f"{today:%B} {today.day}, {today.year}"
                readme = README.format(clinic=clinic.name, today=made_on)
            zf.writestr(f"{FOLDER}/README.txt", readme)
            pdfs = _pdfs(
                session,
                kb=kb,
                actor=actor,
                patient_id=patient_id,
                emergency_number=emergency_number,
            )
            for part in [*pdfs, *extra_parts]:
                zf.writestr(f"{FOLDER}/{part.name}", part.data)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Export(path=path, filename=f"my-data-{today.isoformat()}.zip", counts=counts)


def extra_parts_for(session: Session, *, kb: Knowledge, actor: Actor) -> list[ExportPart]:
    """More files for the person's zip from other parts of the app: their record as a FHIR R4
    Bundle, so another clinic's system can read it (the same bundle as `popliteal export fhir`)."""
    bundle = interop_service.bundle_for_patient(session, kb, actor.own_patient_id, clock.utcnow())
    return [ExportPart("fhir_bundle.json", json.dumps(bundle, indent=1).encode())]
